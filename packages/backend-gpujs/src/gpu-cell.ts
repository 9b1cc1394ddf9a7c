/**
 * Custom cells written as plain JavaScript functions: one source gives a core {@link Cell} (for the CPU
 * solvers) and gpu.js kernels that evaluate f and its diagonal Jacobian for every (b, t) at once.
 */
import { type Cell, checkInteger, checkLength, type FloatArray, ShapeError } from '@antler/core';
import type { GPU } from 'gpu.js';
import { GpuCellSourceError, parseCellFunction, rewriteIndexedReads } from './cell-source.js';

/** `this` inside a cell function: the cell's named constants and arrays. */
export interface GpuCellThis {
  readonly constants: Readonly<Record<string, number>>;
  /** Named arrays (weights), read by indexing: `this.arrays.w[k]`. */
  readonly arrays: Readonly<Record<string, ArrayLike<number>>>;
}

/**
 * A cell function: reads the previous state `h[j]` (j < n) and the input `x[j]` (j < m) and returns
 * component `i` of f(h, x) (or of the diagonal Jacobian). It must be a self-contained function gpu.js
 * can compile: numbers, `Math.*`, `let`/`const`, `if`, `for` loops with bounds from `this.constants`,
 * and `this.constants.<name>` for parameters; `h` and `x` may only be indexed.
 */
export type GpuCellFunction = (
  this: GpuCellThis,
  h: ArrayLike<number>,
  x: ArrayLike<number>,
  i: number,
) => number;

/**
 * A dense Jacobian entry function: reads `h[k]` and `x[k]` like a {@link GpuCellFunction} and returns
 * ∂f_i/∂h_j.
 */
export type GpuCellJacobianFunction = (
  this: GpuCellThis,
  h: ArrayLike<number>,
  x: ArrayLike<number>,
  i: number,
  j: number,
) => number;

/** Definition of a {@link gpuCell}. */
export interface GpuCellSpec {
  /** Cell kind for reports; default `'gpujs-custom'`. */
  readonly kind?: string;
  /** State size n. */
  readonly stateSize: number;
  /** Input size m (0 for an autonomous system). */
  readonly inputSize: number;
  /** Named numeric constants, read as `this.constants.<name>` in both functions. */
  readonly constants?: Readonly<Record<string, number>>;
  /**
   * Named arrays of finite numbers (weight matrices, biases), read only by indexing,
   * `this.arrays.<name>[k]`. gpu.js kernels receive them as float32 array constants (uploaded once per
   * compiled kernel, a storage buffer on webgpu); the CPU Cell reads the arrays as given.
   */
  readonly arrays?: Readonly<Record<string, ArrayLike<number>>>;
  /** Component i of f(h, x). */
  readonly step: GpuCellFunction;
  /** Component i of the diagonal of ∂f/∂h, ∂f_i/∂h_i (enables quasi-DEER). */
  readonly diagonal?: GpuCellFunction;
  /**
   * Entry (i, j) of the dense Jacobian ∂f_i/∂h_j (enables DEER). Without `diagonal`, the diagonal is
   * this function at j = i (evaluated directly, not by forming the matrix).
   */
  readonly jacobian?: GpuCellJacobianFunction;
}

/** f and the diagonal Jacobian of a whole batch of trajectories, evaluated by gpu.js. */
export interface GpuCellEvaluation {
  /** f(s_{t−1}, x_t) for every (b, t): `[B][T][n]`. */
  readonly f: Float32Array;
  /** ∂f_i/∂h_i at the same points, `[B][T][n]`; null when the cell has neither `diagonal` nor `jacobian`. */
  readonly diagonal: Float32Array | null;
  /** ∂f_i/∂h_j at the same points, `[B][T][n][n]` row-major; null without `jacobian`. */
  readonly jacobian: Float32Array | null;
  /** The gpu.js mode whose kernels ran. */
  readonly ranOn: string;
}

/** Arguments of {@link GpuCell.evaluate}. */
export interface GpuCellEvaluateArgs {
  readonly batch: number;
  readonly length: number;
  /** The trajectory s_0 … s_{T−1} (solver numbering: s_1 … s_T), `[B][T][n]`. */
  readonly states: FloatArray;
  /** Initial states `[B][n]`, or `[n]` broadcast; default zeros. */
  readonly h0?: FloatArray;
  /** Inputs `[B][T][m]` (may be omitted when m = 0). */
  readonly inputs?: FloatArray;
}

/** A cell made by {@link gpuCell}: a core Cell plus batched gpu.js evaluation of the same source. */
export interface GpuCell extends Cell {
  /** The definition it was made from. */
  readonly spec: GpuCellSpec;
  /** What the gpu.js kernels receive as `this.constants`: the scalar constants and the arrays as float32. */
  readonly kernelConstants: Readonly<Record<string, number | Float32Array>>;
  /** The generated gpu.js kernel sources (for inspection and error reports). */
  readonly kernelSources: {
    readonly step: string;
    readonly diagonal: string | null;
    readonly jacobian: string | null;
  };
  /**
   * Evaluates f (and the diagonal and dense Jacobians the cell defines) at every step of a batch of trajectories on `gpu`
   * (a gpu.js instance, e.g. `backend.gpu` of {@link createGpuJsBackend}).
   */
  evaluate(gpu: GPU, args: GpuCellEvaluateArgs): Promise<GpuCellEvaluation>;
}

type CpuFunction = (h: FloatArray, ho: number, x: FloatArray, xo: number, i: number, j?: number) => number;

/** Names the generated kernels use; WGSL reserves identifiers starting with two underscores. */
const K = { prev: 'gcPrev', inputs: 'gcInputs', hBase: 'gcHBase', xBase: 'gcXBase' } as const;

/**
 * What one kernel thread computes: a vector function (thread per (b, t, i)), a dense Jacobian function
 * on its diagonal (same threads, j = i) or the dense Jacobian (thread per (b, t, i, j)).
 */
export type CellKernelShape = 'vector' | 'diagonal-of-dense' | 'dense';

function compileCpu(argument: string, fn: unknown, constants: GpuCellThis, arity: 3 | 4): CpuFunction {
  const p = parseCellFunction(argument, fn, arity);
  let body = rewriteIndexedReads(argument, p.body, p.state, 'gcH', 'gcHo');
  body = rewriteIndexedReads(argument, body, p.input, 'gcX', 'gcXo');
  let compiled: (...a: unknown[]) => number;
  try {
    compiled = new Function('gcH', 'gcHo', 'gcX', 'gcXo', p.index, p.column, body) as typeof compiled;
  } catch (e) {
    throw new GpuCellSourceError(argument, `the rewritten source does not parse: ${(e as Error).message}`);
  }
  const run: CpuFunction = (h, ho, x, xo, i, j) => compiled.call(constants, h, ho, x, xo, i, j ?? i);
  // One trial call at zero: the rewritten function has lost its closure, so a captured variable would
  // otherwise fail only later, deep inside a solve (or a GPU kernel build).
  try {
    const zeros = new Float64Array(64);
    run(zeros, 0, zeros, 0, 0, 0);
  } catch (e) {
    throw new GpuCellSourceError(
      argument,
      `calling it failed: ${(e as Error).message}. Cell functions are compiled from their source, so they cannot use variables from the surrounding scope; pass numbers through constants (this.constants.<name>)`,
    );
  }
  return run;
}

/**
 * The gpu.js kernel source of a cell function: one thread per (b, t, i), or per (b, t, i, j) for the
 * dense Jacobian; the previous states come as `[B][T+1][n]` (row 0 of each sequence is h0) and the
 * inputs as `[B][T][m]`.
 */
export function cellKernelSource(argument: string, fn: unknown, shape: CellKernelShape = 'vector'): string {
  const p = parseCellFunction(argument, fn, shape === 'vector' ? 3 : 4);
  let body = rewriteIndexedReads(argument, p.body, p.state, K.prev, K.hBase);
  body = rewriteIndexedReads(argument, body, p.input, K.inputs, K.xBase);
  // gpu.js knows only this.constants: the arrays are array constants there.
  body = body.replace(/\bthis\s*\.\s*arrays\s*\./g, 'this.constants.');
  const threads =
    shape === 'dense'
      ? `const gcRow = Math.floor(this.thread.x / (gcN * gcN));
  const gcEntry = this.thread.x - gcRow * gcN * gcN;
  const ${p.index} = Math.floor(gcEntry / gcN);
  const ${p.column} = gcEntry - ${p.index} * gcN;`
      : `const gcRow = Math.floor(this.thread.x / gcN);
  const ${p.index} = this.thread.x - gcRow * gcN;${shape === 'diagonal-of-dense' ? `\n  const ${p.column} = ${p.index};` : ''}`;
  return `function (${K.prev}, ${K.inputs}) {
  const gcN = this.constants.gcN;
  const gcM = this.constants.gcM;
  const gcT = this.constants.gcT;
  ${threads}
  const gcB = Math.floor(gcRow / gcT);
  const gcStep = gcRow - gcB * gcT;
  const ${K.hBase} = (gcB * (gcT + 1) + gcStep) * gcN;
  const ${K.xBase} = gcRow * gcM;
  ${body}
}`;
}

/**
 * Lays out the previous states `[B][T+1][n]` (h0, then s_0 … s_{T−2}… as the kernels read them:
 * row t of sequence b is the state before step t).
 */
export function previousStates(
  batch: number,
  length: number,
  n: number,
  states: ArrayLike<number>,
  h0: ArrayLike<number> | null,
  h0Broadcast: boolean,
): Float32Array {
  const prev = new Float32Array(batch * (length + 1) * n);
  for (let b = 0; b < batch; b++) {
    const o = b * (length + 1) * n;
    if (h0) for (let i = 0; i < n; i++) prev[o + i] = h0[(h0Broadcast ? 0 : b * n) + i];
    for (let j = 0; j < length * n; j++) prev[o + n + j] = states[b * length * n + j];
  }
  return prev;
}

/**
 * Makes a cell from plain JavaScript functions that gpu.js compiles to GPU kernels.
 *
 * @example
 * ```ts
 * import { createGpuJsBackend, gpuCell } from '@antler/backend-gpujs';
 * // s_t = tanh(w ⊙ s_{t-1} + x_t), elementwise, with its exact diagonal Jacobian.
 * const cell = gpuCell({
 *   stateSize: 2, inputSize: 2, constants: { w: 0.5 },
 *   step(h, x, i) { return Math.tanh(this.constants.w * h[i] + x[i]); },
 *   diagonal(h, x, i) {
 *     const y = Math.tanh(this.constants.w * h[i] + x[i]);
 *     return this.constants.w * (1 - y * y);
 *   },
 * });
 * // (a) a core Cell for the CPU solvers: cell.step(h, 0, x, 0, out, 0), cell.diagonalJacobian(…)
 * // (b) every step of a batch at once on the GPU:
 * const backend = await createGpuJsBackend({ mode: 'webgpu' });
 * const { f, diagonal } = await cell.evaluate(backend.gpu, {
 *   batch: 1, length: 3, states: new Float32Array(6), inputs: new Float32Array([1, 2, 3, 4, 5, 6]),
 * });
 * ```
 */
export function gpuCell(spec: GpuCellSpec): GpuCell {
  const cell = makeGpuCell(spec);
  madeByGpuCell.add(cell);
  return cell;
}

const madeByGpuCell = new WeakSet<object>();

/** True when `cell` was made by {@link gpuCell} (so its source can be compiled into device kernels). */
export function isGpuCell(cell: unknown): cell is GpuCell {
  return typeof cell === 'object' && cell !== null && madeByGpuCell.has(cell);
}

function makeGpuCell(spec: GpuCellSpec): GpuCell {
  const n = checkInteger(spec.stateSize, 'stateSize');
  const m = checkInteger(spec.inputSize, 'inputSize', 0);
  const constants = { ...(spec.constants ?? {}) };
  for (const [name, v] of Object.entries(constants)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ShapeError(`constants.${name}`, 'a finite number', String(v));
    }
    if (name.startsWith('gc'))
      throw new ShapeError(`constants.${name}`, "a name not starting with 'gc' (reserved)", name);
  }
  const arrays = { ...(spec.arrays ?? {}) };
  const kernelConstants: Record<string, number | Float32Array> = { ...constants };
  for (const [name, v] of Object.entries(arrays)) {
    const where = `arrays.${name}`;
    if (name.startsWith('gc')) throw new ShapeError(where, "a name not starting with 'gc' (reserved)", name);
    if (name in constants) throw new ShapeError(where, 'a name not also used by constants', name);
    if (v === null || typeof v !== 'object' || typeof v.length !== 'number' || v.length < 1) {
      throw new ShapeError(where, 'a non-empty array of finite numbers', String(v));
    }
    for (let k = 0; k < v.length; k++) {
      if (typeof v[k] !== 'number' || !Number.isFinite(v[k]))
        throw new ShapeError(`${where}[${k}]`, 'a finite number', String(v[k]));
    }
    kernelConstants[name] = Float32Array.from(v);
  }
  const self: GpuCellThis = { constants, arrays };
  const cpuStep = compileCpu('step', spec.step, self, 3);
  const cpuJac = spec.jacobian ? compileCpu('jacobian', spec.jacobian, self, 4) : null;
  const cpuDiag = spec.diagonal ? compileCpu('diagonal', spec.diagonal, self, 3) : cpuJac;
  const kernelSources = {
    step: cellKernelSource('step', spec.step),
    diagonal: spec.diagonal
      ? cellKernelSource('diagonal', spec.diagonal)
      : spec.jacobian
        ? cellKernelSource('jacobian', spec.jacobian, 'diagonal-of-dense')
        : null,
    jacobian: spec.jacobian ? cellKernelSource('jacobian', spec.jacobian, 'dense') : null,
  };
  interface KernelSet {
    f: KernelFn;
    d: KernelFn | null;
    j: KernelFn | null;
  }
  const kernels = new WeakMap<GPU, Map<string, KernelSet>>();
  type KernelFn = ((prev: Float32Array, inputs: Float32Array) => unknown) & {
    kernel?: { constructor: { mode?: string } };
    destroy?: () => void;
  };

  const cell: GpuCell = {
    kind: spec.kind ?? 'gpujs-custom',
    stateSize: n,
    inputSize: m,
    config: { source: 'gpujs' },
    spec,
    kernelConstants,
    kernelSources,
    step(h, ho, x, xo, out, oo) {
      for (let i = 0; i < n; i++) out[oo + i] = cpuStep(h, ho, x, xo, i);
    },
    async evaluate(gpu, args) {
      const B = checkInteger(args.batch, 'batch');
      const T = checkInteger(args.length, 'length');
      checkLength('states', args.states, [B, T, n], ['B', 'T', 'n']);
      const inputs = m > 0 ? checkLength('inputs', args.inputs, [B, T, m], ['B', 'T', 'm']) : null;
      let broadcast = false;
      if (args.h0) {
        broadcast = args.h0.length === n && B > 1;
        if (!broadcast) checkLength('h0', args.h0, [B, n], ['B', 'n']);
      }
      const prev = previousStates(B, T, n, args.states, args.h0 ?? null, broadcast);
      // gpu.js needs a non-empty array argument even when the cell has no inputs.
      const xs = inputs ? Float32Array.from(inputs) : new Float32Array(1);
      let perGpu = kernels.get(gpu);
      if (!perGpu) kernels.set(gpu, (perGpu = new Map()));
      const key = `${B}|${T}`;
      let set = perGpu.get(key);
      if (!set) {
        const constantsOf = { ...kernelConstants, gcN: n, gcM: Math.max(m, 1), gcT: T };
        const make = (src: string, output: number) =>
          gpu.createKernel(src as never, {
            output: [output],
            constants: constantsOf,
            tactic: 'precision',
          }) as unknown as KernelFn;
        set = {
          f: make(kernelSources.step, B * T * n),
          d: kernelSources.diagonal ? make(kernelSources.diagonal, B * T * n) : null,
          j: kernelSources.jacobian ? make(kernelSources.jacobian, B * T * n * n) : null,
        };
        perGpu.set(key, set);
        // Keep a few shapes per device; release the oldest kernels.
        if (perGpu.size > 8) {
          const [oldKey, old] = perGpu.entries().next().value as [string, KernelSet];
          perGpu.delete(oldKey);
          for (const k of [old.f, old.d, old.j]) k?.destroy?.();
        }
      }
      const run = async (k: KernelFn | null) =>
        k ? Float32Array.from((await k(prev, xs)) as ArrayLike<number>) : null;
      const f = (await run(set.f)) as Float32Array;
      const diagonal = await run(set.d);
      const jacobian = await run(set.j);
      return { f, diagonal, jacobian, ranOn: set.f.kernel?.constructor.mode ?? gpu.mode };
    },
  };
  if (cpuDiag) {
    (cell as { diagonalJacobian?: Cell['diagonalJacobian'] }).diagonalJacobian = (
      h,
      ho,
      x,
      xo,
      f,
      fo,
      d,
      dOff,
    ) => {
      for (let i = 0; i < n; i++) {
        f[fo + i] = cpuStep(h, ho, x, xo, i);
        d[dOff + i] = cpuDiag(h, ho, x, xo, i);
      }
    };
  }
  if (cpuJac) {
    (cell as { denseJacobian?: Cell['denseJacobian'] }).denseJacobian = (h, ho, x, xo, f, fo, jac, jo) => {
      for (let i = 0; i < n; i++) {
        f[fo + i] = cpuStep(h, ho, x, xo, i);
        for (let j = 0; j < n; j++) jac[jo + i * n + j] = cpuJac(h, ho, x, xo, i, j);
      }
    };
  }
  return cell;
}
