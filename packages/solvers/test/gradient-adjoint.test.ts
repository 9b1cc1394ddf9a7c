import type { Cell } from '@antler/core';
import { NonFiniteError, ShapeError } from '@antler/core';
import fc from 'fast-check';
import { createCpuBackend } from '@antler/scan';
import { describe, expect, it } from 'vitest';
import {
  AdjointWorkspace,
  differentiateTrajectory,
  differentiateTrajectorySync,
  GradientUnavailableError,
} from '../src/index.js';
import {
  centralDifference,
  elmanBptt,
  elmanCell,
  gruBptt,
  gruCell,
  linearLoss,
  relativeError,
  rng,
  sequentialStates,
  uniform,
  vjpBptt,
} from './gradient-fixtures.js';

function setup(cell: Cell, batch: number, length: number, seed: number) {
  const r = rng(seed);
  const inputs = uniform(batch * length * cell.inputSize, 1, r);
  const h0 = uniform(batch * cell.stateSize, 0.5, r);
  const g = uniform(batch * length * cell.stateSize, 1, r);
  const states = sequentialStates(cell, inputs, batch, length, h0);
  return { inputs, h0, g, states };
}

describe('differentiateTrajectory: exact adjoint at the sequential trajectory', () => {
  it('Elman: equals a written-out BPTT loop to 1e-12 relative (dense reverse scan)', () => {
    const cell = elmanCell(4, 3, 1);
    const B = 3;
    const T = 40;
    const { inputs, h0, g, states } = setup(cell, B, T, 2);
    const grad = differentiateTrajectorySync(cell, inputs, states, g, { batch: B, h0 });
    const ref = elmanBptt(cell, inputs, states, B, T, h0, g);
    expect(grad.path).toBe('dense-reverse-scan');
    expect(grad.mode).toBe('exact');
    expect(grad.exact).toBe(true);
    for (const name of Object.keys(ref.params)) {
      expect(relativeError(grad.params[name], ref.params[name]), name).toBeLessThan(1e-12);
    }
    expect(relativeError(grad.inputs, ref.inputs)).toBeLessThan(1e-12);
    expect(relativeError(grad.h0, ref.h0)).toBeLessThan(1e-12);
  });

  it('GRU: dense reverse scan equals a reverse vjp loop (BPTT) to 1e-12 and both paths agree', async () => {
    const cell = gruCell(5, 2, 3);
    const B = 2;
    const T = 60;
    const { inputs, h0, g, states } = setup(cell, B, T, 4);
    const ref = vjpBptt(cell, inputs, states, B, T, h0, g);
    const dense = await differentiateTrajectory(cell, inputs, states, g, { batch: B, h0 });
    const loop = differentiateTrajectorySync(cell, inputs, states, g, {
      batch: B,
      h0,
      adjointPath: 'vjp-sequential',
    });
    expect(dense.path).toBe('dense-reverse-scan');
    expect(dense.backend).toBe('cpu-sequential');
    expect(loop.path).toBe('vjp-sequential');
    for (const gr of [dense, loop]) {
      for (const name of Object.keys(ref.params)) {
        expect(relativeError(gr.params[name], ref.params[name]), name).toBeLessThan(1e-12);
      }
      expect(relativeError(gr.inputs, ref.inputs)).toBeLessThan(1e-12);
      expect(relativeError(gr.h0, ref.h0)).toBeLessThan(1e-12);
    }
    expect(relativeError(dense.adjointStates, loop.adjointStates)).toBeLessThan(1e-12);
  });

  it.each([
    ['elman', elmanCell(3, 2, 7)],
    ['gru', gruCell(3, 2, 8)],
  ])('%s: agrees with central finite differences of L = Σ⟨g, s⟩', (_name, cell) => {
    const B = 2;
    const T = 25;
    const { inputs, h0, g, states } = setup(cell, B, T, 9);
    const grad = differentiateTrajectorySync(cell, inputs, states, g, { batch: B, h0 });
    const loss = (): number => linearLoss(cell, inputs, B, T, h0, g);
    const checks: [string, Float64Array, Float64Array][] = [
      ...Object.entries(cell.parameters ?? {}).map(
        ([k, t]) => [k, t.data, grad.params[k]] as [string, Float64Array, Float64Array],
      ),
      ['inputs', inputs, grad.inputs],
      ['h0', h0, grad.h0],
    ];
    for (const [name, arr, analytic] of checks) {
      for (const idx of [0, Math.floor(arr.length / 2), arr.length - 1]) {
        const fd = centralDifference(arr, idx, loss);
        expect(Math.abs(fd - analytic[idx]), `${name}[${idx}]`).toBeLessThan(
          1e-7 * Math.max(1, Math.abs(fd)),
        );
      }
    }
  });

  it('property: dense reverse scan and reverse VJP loop agree for random sizes, seeds and batch layouts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.boolean(),
        (n, m, B, T, seed, useGru) => {
          const cell = useGru ? gruCell(n, m, seed) : elmanCell(n, m, seed);
          const { inputs, h0, g, states } = setup(cell, B, T, seed + 1);
          const a = differentiateTrajectorySync(cell, inputs, states, g, { batch: B, h0 });
          const ref = vjpBptt(cell, inputs, states, B, T, h0, g);
          for (const name of Object.keys(ref.params)) {
            expect(relativeError(a.params[name], ref.params[name])).toBeLessThan(1e-11);
          }
          expect(relativeError(a.h0, ref.h0)).toBeLessThan(1e-11);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('broadcast h0 [n] gets the batch-summed gradient; omitted h0 means zeros', () => {
    const cell = gruCell(3, 2, 11);
    const B = 3;
    const T = 10;
    const r = rng(12);
    const inputs = uniform(B * T * 2, 1, r);
    const h0n = uniform(3, 0.5, r);
    const h0full = new Float64Array(B * 3);
    for (let b = 0; b < B; b++) h0full.set(h0n, b * 3);
    const g = uniform(B * T * 3, 1, r);
    const states = sequentialStates(cell, inputs, B, T, h0full);
    const bc = differentiateTrajectorySync(cell, inputs, states, g, { batch: B, h0: h0n });
    const full = differentiateTrajectorySync(cell, inputs, states, g, { batch: B, h0: h0full });
    expect(bc.h0.length).toBe(3);
    for (let i = 0; i < 3; i++)
      expect(bc.h0[i]).toBeCloseTo(full.h0[i] + full.h0[3 + i] + full.h0[6 + i], 12);
    const zeroStates = sequentialStates(cell, inputs, B, T, null);
    const none = differentiateTrajectorySync(cell, inputs, zeroStates, g, { batch: B });
    const ref = vjpBptt(cell, inputs, zeroStates, B, T, null, g);
    expect(relativeError(none.h0, ref.h0)).toBeLessThan(1e-12);
  });

  it('autonomous cell (m = 0) needs length and gives an empty input gradient', () => {
    const cell = elmanCell(3, 0, 13, 0.9);
    const T = 20;
    const r = rng(14);
    const h0 = uniform(3, 1, r);
    const g = uniform(T * 3, 1, r);
    const inputs = new Float64Array(0);
    const states = sequentialStates(cell, inputs, 1, T, h0);
    expect(() => differentiateTrajectorySync(cell, inputs, states, g, { h0 })).toThrow(ShapeError);
    const grad = differentiateTrajectorySync(cell, inputs, states, g, { h0, length: T });
    const ref = elmanBptt(cell, inputs, states, 1, T, h0, g);
    expect(grad.inputs.length).toBe(0);
    expect(relativeError(grad.params.weight_hh_l0, ref.params.weight_hh_l0)).toBeLessThan(1e-12);
    expect(relativeError(grad.h0, ref.h0)).toBeLessThan(1e-12);
  });

  it('float32 trajectories are differentiated in float64 at the stored (rounded) states', () => {
    const cell = gruCell(4, 2, 15);
    const T = 30;
    const { inputs, h0, g, states } = setup(cell, 1, T, 16);
    const s32 = Float32Array.from(states);
    const grad = differentiateTrajectorySync(cell, Float32Array.from(inputs), s32, Float32Array.from(g), {
      h0,
    });
    const ref = vjpBptt(
      cell,
      Float64Array.from(Float32Array.from(inputs)),
      s32,
      1,
      T,
      h0,
      Float64Array.from(Float32Array.from(g)),
    );
    expect(grad.params.weight_hh_l0).toBeInstanceOf(Float64Array);
    expect(relativeError(grad.params.weight_hh_l0, ref.params.weight_hh_l0)).toBeLessThan(1e-12);
  });
});

describe('approximate-diagonal adjoint', () => {
  it('is labelled approximate and measurably differs from the exact gradient', () => {
    const cell = gruCell(6, 2, 17);
    const T = 80;
    const { inputs, h0, g, states } = setup(cell, 1, T, 18);
    const exact = differentiateTrajectorySync(cell, inputs, states, g, { h0 });
    const approx = differentiateTrajectorySync(cell, inputs, states, g, {
      h0,
      adjoint: 'approximate-diagonal',
    });
    expect(approx.mode).toBe('approximate-diagonal');
    expect(approx.exact).toBe(false);
    expect(approx.path).toBe('diagonal-reverse-scan');
    expect(relativeError(approx.params.weight_hh_l0, exact.params.weight_hh_l0)).toBeGreaterThan(1e-2);
  });

  it('equals a diagonal-only reverse recursion written in the test', () => {
    const cell = elmanCell(3, 2, 19);
    const T = 15;
    const { inputs, h0, g, states } = setup(cell, 1, T, 20);
    const approx = differentiateTrajectorySync(cell, inputs, states, g, {
      h0,
      adjoint: 'approximate-diagonal',
    });
    const W = (cell.parameters as NonNullable<Cell['parameters']>).weight_hh_l0.data;
    const lam = new Float64Array(T * 3);
    for (let i = 0; i < 3; i++) lam[(T - 1) * 3 + i] = g[(T - 1) * 3 + i];
    for (let t = T - 2; t >= 0; t--) {
      for (let i = 0; i < 3; i++) {
        const d = (1 - states[(t + 1) * 3 + i] ** 2) * W[i * 3 + i];
        lam[t * 3 + i] = g[t * 3 + i] + d * lam[(t + 1) * 3 + i];
      }
    }
    expect(relativeError(approx.adjointStates, lam)).toBeLessThan(1e-13);
  });
});

describe('errors', () => {
  const cell = elmanCell(2, 1, 21);
  const T = 5;
  const { inputs, g, states } = setup(cell, 1, T, 22);

  it('a cell without vjp is a GradientUnavailableError', () => {
    const { vjp: _drop, ...rest } = cell;
    expect(() => differentiateTrajectorySync(rest as Cell, inputs, states, g)).toThrow(
      GradientUnavailableError,
    );
  });

  it('forcing the dense path on a cell without denseJacobian is a GradientUnavailableError; auto falls back to the VJP loop', () => {
    const { denseJacobian: _drop, ...rest } = cell;
    expect(() =>
      differentiateTrajectorySync(rest as Cell, inputs, states, g, { adjointPath: 'dense-reverse-scan' }),
    ).toThrow(GradientUnavailableError);
    expect(differentiateTrajectorySync(rest as Cell, inputs, states, g).path).toBe('vjp-sequential');
  });

  it('wrong shapes name the argument', () => {
    expect(() => differentiateTrajectorySync(cell, inputs, states.subarray(1), g)).toThrow(
      /states: expected shape \[B=1\]\[T=5\]\[n=2\]/,
    );
    expect(() => differentiateTrajectorySync(cell, inputs, states, g.subarray(2))).toThrow(/cotangent/);
    expect(() => differentiateTrajectorySync(cell, inputs, states, g, { h0: new Float64Array(3) })).toThrow(
      /h0/,
    );
    expect(() =>
      differentiateTrajectorySync(cell, inputs, states, g, { adjoint: 'diagonal' as never }),
    ).toThrow(/adjoint/);
  });

  it('an overflowing adjoint is a NonFiniteError, not a silent Infinity', () => {
    // s_t = 4 s_{t−1} + x_t: λ grows like 4^T and overflows float64 for T = 600.
    const T2 = 600;
    const lin: Cell = {
      kind: 'test-linear',
      stateSize: 1,
      inputSize: 1,
      parameters: { a: { shape: [1], data: new Float64Array([4]) } },
      step: (h, ho, x, xo, o, oo) => {
        o[oo] = 4 * h[ho] + x[xo];
      },
      denseJacobian: (h, ho, x, xo, f, fo, j, jo) => {
        f[fo] = 4 * h[ho] + x[xo];
        j[jo] = 4;
      },
      vjp: (h, ho, _x, _xo, gg, go, gh, gho, gx, gxo, gp) => {
        gh[gho] += 4 * gg[go];
        if (gx) gx[gxo] += gg[go];
        if (gp) gp.a[0] += gg[go] * h[ho];
      },
    };
    const x = new Float64Array(T2);
    const s = new Float64Array(T2);
    const ones = new Float64Array(T2).fill(1);
    expect(() => differentiateTrajectorySync(lin, x, s, ones)).toThrow(NonFiniteError);
    expect(() => differentiateTrajectorySync(lin, x, s, ones, { adjointPath: 'vjp-sequential' })).toThrow(
      NonFiniteError,
    );
  });
});

describe('the reverse scan runs on any CPU scan backend', () => {
  it.each([
    ['blelloch', {}],
    ['chunked', { chunkSize: 7 }],
    ['threaded', { threads: 2, minWorkPerThread: 1 }],
  ] as const)('%s backend gives the BPTT gradient', async (algorithm, extra) => {
    const backend = createCpuBackend({ algorithm, ...extra });
    try {
      const cell = gruCell(4, 2, 40);
      const B = 3;
      const T = 64;
      const { inputs, h0, g, states } = setup(cell, B, T, 41);
      const ref = vjpBptt(cell, inputs, states, B, T, h0, g);
      const sync = differentiateTrajectorySync(cell, inputs, states, g, { batch: B, h0, backend });
      const async_ = await differentiateTrajectory(cell, inputs, states, g, { batch: B, h0, backend });
      for (const grad of [sync, async_]) {
        expect(grad.backend).toBe(backend.name);
        expect(grad.notes).toEqual([]);
        for (const name of Object.keys(ref.params)) {
          expect(relativeError(grad.params[name], ref.params[name]), name).toBeLessThan(1e-12);
        }
        expect(relativeError(grad.h0, ref.h0)).toBeLessThan(1e-12);
      }
    } finally {
      await backend.dispose?.();
    }
  });

  it('a backend without float64 reverse scans is replaced by cpu-sequential, and the result says so', () => {
    const cell = elmanCell(3, 1, 42);
    const { inputs, h0, g, states } = setup(cell, 1, 10, 43);
    const forwardOnly = {
      name: 'forward-only',
      synchronous: true,
      capabilities: {
        float64: { affine: ['dense', 'diagonal'] as const, blockSizes: [], reverse: false, kalman: [] },
      },
      affineScan: () => {
        throw new Error('must not be called');
      },
    };
    const grad = differentiateTrajectorySync(cell, inputs, states, g, { h0, backend: forwardOnly });
    expect(grad.backend).toBe('cpu-sequential');
    expect(grad.notes[0]).toMatch(/forward-only has no float64 reverse dense scan/);
  });
});

describe('AdjointWorkspace', () => {
  it('reused across calls of different sizes gives the same gradients as fresh buffers', () => {
    const workspace = new AdjointWorkspace();
    for (const [B, T, seed] of [
      [2, 30, 50],
      [1, 7, 51],
      [3, 20, 52],
    ] as const) {
      const cell = gruCell(3, 2, seed);
      const { inputs, h0, g, states } = setup(cell, B, T, seed);
      const fresh = differentiateTrajectorySync(cell, inputs, states, g, { batch: B, h0 });
      const reused = differentiateTrajectorySync(cell, inputs, states, g, { batch: B, h0, workspace });
      expect(reused.params.weight_hh_l0).toEqual(fresh.params.weight_hh_l0);
      expect(reused.adjointStates).toEqual(fresh.adjointStates);
    }
    expect(workspace.bytes).toBe(2 * 30 * 9 * 8);
  });
});

describe('fixtures sanity', () => {
  it('the written-out GRU BPTT matches the test GRU cell trajectory and its VJP loop', () => {
    const cell = gruCell(3, 2, 60);
    const { inputs, h0, g, states } = setup(cell, 2, 12, 61);
    const ref = gruBptt(cell.parameters as NonNullable<Cell['parameters']>, inputs, 2, 12, h0, g);
    expect(relativeError(ref.states, states)).toBeLessThan(1e-14);
    const loop = vjpBptt(cell, inputs, states, 2, 12, h0, g);
    for (const name of Object.keys(loop.params))
      expect(relativeError(ref.params[name], loop.params[name])).toBeLessThan(1e-13);
    expect(relativeError(ref.inputs, loop.inputs)).toBeLessThan(1e-13);
    expect(relativeError(ref.h0, loop.h0)).toBeLessThan(1e-13);
  });
});

describe('memory guard of the dense path', () => {
  it('auto switches to the exact reverse VJP loop when B·T·n² Jacobians exceed maxJacobianBytes, and says so', () => {
    const cell = gruCell(4, 2, 80);
    const { inputs, h0, g, states } = setup(cell, 2, 30, 81);
    const small = differentiateTrajectorySync(cell, inputs, states, g, {
      batch: 2,
      h0,
      maxJacobianBytes: 1000,
    });
    const big = differentiateTrajectorySync(cell, inputs, states, g, { batch: 2, h0 });
    expect(small.path).toBe('vjp-sequential');
    expect(small.notes[0]).toMatch(/maxJacobianBytes/);
    expect(big.path).toBe('dense-reverse-scan');
    expect(relativeError(small.params.weight_hh_l0, big.params.weight_hh_l0)).toBeLessThan(1e-12);
    // An explicit path is honoured whatever its memory.
    const forced = differentiateTrajectorySync(cell, inputs, states, g, {
      batch: 2,
      h0,
      maxJacobianBytes: 1000,
      adjointPath: 'dense-reverse-scan',
    });
    expect(forced.path).toBe('dense-reverse-scan');
  });
});

describe('jacobianVjpMismatch', () => {
  it('is at rounding level for a correct cell and flags a cell whose vjp disagrees with its denseJacobian', () => {
    const cell = gruCell(4, 2, 90);
    const { inputs, h0, g, states } = setup(cell, 2, 30, 91);
    const good = differentiateTrajectorySync(cell, inputs, states, g, { batch: 2, h0 });
    expect(good.jacobianVjpMismatch).toBeLessThan(1e-13);
    expect(good.notes).toEqual([]);
    const vjp = cell.vjp as NonNullable<Cell['vjp']>;
    // A buggy custom cell: its vjp forgets 10 % of the h-part.
    const buggy: Cell = {
      ...cell,
      vjp: (h, ho, x, xo, gg, go, gh, gho, gx, gxo, gp) => {
        const tmp = new Float64Array(4);
        vjp(h, ho, x, xo, gg, go, tmp, 0, gx, gxo, gp);
        for (let i = 0; i < 4; i++) gh[gho + i] += 0.9 * tmp[i];
      },
    };
    const bad = differentiateTrajectorySync(buggy, inputs, states, g, { batch: 2, h0 });
    expect(bad.jacobianVjpMismatch).toBeGreaterThan(1e-3);
    expect(bad.notes.join(' ')).toMatch(/denseJacobian and vjp disagree/);
    expect(
      differentiateTrajectorySync(cell, inputs, states, g, { batch: 2, h0, adjointPath: 'vjp-sequential' })
        .jacobianVjpMismatch,
    ).toBeNull();
  });
});
