/**
 * Test fixtures for the gradient tests: two cells written here from their textbook equations (PyTorch's
 * Elman RNN and GRU, with dense/diagonal Jacobians and VJPs), a plain sequential forward loop, an
 * independent backpropagation-through-time loop, and central finite differences. Nothing here calls the
 * library's adjoint code.
 */
import type {
  Cell,
  FloatArray,
  GradientMap,
  SolveOptions,
  SolveResult,
  Tensor,
  TensorMap,
} from '@antler/core';

/** mulberry32: a tiny seeded PRNG so that tests are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform(−scale, scale) values. */
export function uniform(length: number, scale: number, r: () => number): Float64Array {
  const a = new Float64Array(length);
  for (let i = 0; i < length; i++) a[i] = (2 * r() - 1) * scale;
  return a;
}

function tensor(shape: number[], scale: number, r: () => number): Tensor {
  return {
    shape,
    data: uniform(
      shape.reduce((p, d) => p * d, 1),
      scale,
      r,
    ),
  };
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** PyTorch Elman RNN cell h' = tanh(W_ih x + b_ih + W_hh h + b_hh). */
export function elmanCell(n: number, m: number, seed: number, scale = 0.6): Cell {
  const r = rng(seed);
  const params: TensorMap = {
    weight_ih_l0: tensor([n, m], scale, r),
    weight_hh_l0: tensor([n, n], scale, r),
    bias_ih_l0: tensor([n], scale, r),
    bias_hh_l0: tensor([n], scale, r),
  };
  const Wih = params.weight_ih_l0.data;
  const Whh = params.weight_hh_l0.data;
  const bih = params.bias_ih_l0.data;
  const bhh = params.bias_hh_l0.data;
  const y = new Float64Array(n);
  const forward = (h: FloatArray, ho: number, x: FloatArray, xo: number): void => {
    for (let i = 0; i < n; i++) {
      let a = bih[i] + bhh[i];
      for (let j = 0; j < m; j++) a += Wih[i * m + j] * x[xo + j];
      for (let j = 0; j < n; j++) a += Whh[i * n + j] * h[ho + j];
      y[i] = Math.tanh(a);
    }
  };
  return {
    kind: 'test-elman',
    stateSize: n,
    inputSize: m,
    parameters: params,
    step(h, ho, x, xo, out, oo) {
      forward(h, ho, x, xo);
      for (let i = 0; i < n; i++) out[oo + i] = y[i];
    },
    denseJacobian(h, ho, x, xo, f, fo, jac, jo) {
      forward(h, ho, x, xo);
      for (let i = 0; i < n; i++) {
        f[fo + i] = y[i];
        const d = 1 - y[i] * y[i];
        for (let j = 0; j < n; j++) jac[jo + i * n + j] = d * Whh[i * n + j];
      }
    },
    diagonalJacobian(h, ho, x, xo, f, fo, diag, dOff) {
      forward(h, ho, x, xo);
      for (let i = 0; i < n; i++) {
        f[fo + i] = y[i];
        diag[dOff + i] = (1 - y[i] * y[i]) * Whh[i * n + i];
      }
    },
    vjp(h, ho, x, xo, g, go, gradH, gho, gradX, gxo, gradParams) {
      forward(h, ho, x, xo);
      for (let i = 0; i < n; i++) {
        const ga = g[go + i] * (1 - y[i] * y[i]);
        for (let j = 0; j < n; j++) gradH[gho + j] += Whh[i * n + j] * ga;
        if (gradX) for (let j = 0; j < m; j++) gradX[gxo + j] += Wih[i * m + j] * ga;
        if (gradParams) {
          gradParams.bias_ih_l0[i] += ga;
          gradParams.bias_hh_l0[i] += ga;
          for (let j = 0; j < m; j++) gradParams.weight_ih_l0[i * m + j] += ga * x[xo + j];
          for (let j = 0; j < n; j++) gradParams.weight_hh_l0[i * n + j] += ga * h[ho + j];
        }
      }
    },
  };
}

/** PyTorch GRU cell (gate order r, z, n), with its dense Jacobian, diagonal and VJP. */
export function gruCell(n: number, m: number, seed: number, scale = 0.5): Cell {
  const r = rng(seed);
  const params: TensorMap = {
    weight_ih_l0: tensor([3 * n, m], scale, r),
    weight_hh_l0: tensor([3 * n, n], scale, r),
    bias_ih_l0: tensor([3 * n], scale, r),
    bias_hh_l0: tensor([3 * n], scale, r),
  };
  const Wi = params.weight_ih_l0.data;
  const Wh = params.weight_hh_l0.data;
  const bi = params.bias_ih_l0.data;
  const bh = params.bias_hh_l0.data;
  const rr = new Float64Array(n);
  const zz = new Float64Array(n);
  const cc = new Float64Array(n);
  const hn = new Float64Array(n);
  const out = new Float64Array(n);
  const forward = (h: FloatArray, ho: number, x: FloatArray, xo: number): void => {
    for (let i = 0; i < n; i++) {
      let ar = bi[i] + bh[i];
      let az = bi[n + i] + bh[n + i];
      let ai = bi[2 * n + i];
      let ah = bh[2 * n + i];
      for (let j = 0; j < m; j++) {
        const xv = x[xo + j];
        ar += Wi[i * m + j] * xv;
        az += Wi[(n + i) * m + j] * xv;
        ai += Wi[(2 * n + i) * m + j] * xv;
      }
      for (let j = 0; j < n; j++) {
        const hv = h[ho + j];
        ar += Wh[i * n + j] * hv;
        az += Wh[(n + i) * n + j] * hv;
        ah += Wh[(2 * n + i) * n + j] * hv;
      }
      rr[i] = sigmoid(ar);
      zz[i] = sigmoid(az);
      hn[i] = ah;
      cc[i] = Math.tanh(ai + rr[i] * ah);
      out[i] = (1 - zz[i]) * cc[i] + zz[i] * h[ho + i];
    }
  };
  return {
    kind: 'test-gru',
    stateSize: n,
    inputSize: m,
    parameters: params,
    step(h, ho, x, xo, o, oo) {
      forward(h, ho, x, xo);
      for (let i = 0; i < n; i++) o[oo + i] = out[i];
    },
    denseJacobian(h, ho, x, xo, f, fo, jac, jo) {
      forward(h, ho, x, xo);
      for (let i = 0; i < n; i++) {
        f[fo + i] = out[i];
        const dr = rr[i] * (1 - rr[i]);
        const dz = zz[i] * (1 - zz[i]);
        const dc = 1 - cc[i] * cc[i];
        for (let j = 0; j < n; j++) {
          const drj = dr * Wh[i * n + j];
          const dzj = dz * Wh[(n + i) * n + j];
          const dcj = dc * (drj * hn[i] + rr[i] * Wh[(2 * n + i) * n + j]);
          jac[jo + i * n + j] = (1 - zz[i]) * dcj + (h[ho + i] - cc[i]) * dzj + (i === j ? zz[i] : 0);
        }
      }
    },
    diagonalJacobian(h, ho, x, xo, f, fo, diag, dOff) {
      forward(h, ho, x, xo);
      for (let i = 0; i < n; i++) {
        f[fo + i] = out[i];
        const drj = rr[i] * (1 - rr[i]) * Wh[i * n + i];
        const dzj = zz[i] * (1 - zz[i]) * Wh[(n + i) * n + i];
        const dcj = (1 - cc[i] * cc[i]) * (drj * hn[i] + rr[i] * Wh[(2 * n + i) * n + i]);
        diag[dOff + i] = (1 - zz[i]) * dcj + (h[ho + i] - cc[i]) * dzj + zz[i];
      }
    },
    vjp(h, ho, x, xo, g, go, gradH, gho, gradX, gxo, gradParams) {
      forward(h, ho, x, xo);
      for (let i = 0; i < n; i++) {
        const gi = g[go + i];
        const gac = gi * (1 - zz[i]) * (1 - cc[i] * cc[i]);
        const gaz = gi * (h[ho + i] - cc[i]) * zz[i] * (1 - zz[i]);
        const ghn = gac * rr[i];
        const gar = gac * hn[i] * rr[i] * (1 - rr[i]);
        gradH[gho + i] += gi * zz[i];
        for (let j = 0; j < n; j++) {
          gradH[gho + j] += Wh[i * n + j] * gar + Wh[(n + i) * n + j] * gaz + Wh[(2 * n + i) * n + j] * ghn;
        }
        if (gradX) {
          for (let j = 0; j < m; j++) {
            gradX[gxo + j] += Wi[i * m + j] * gar + Wi[(n + i) * m + j] * gaz + Wi[(2 * n + i) * m + j] * gac;
          }
        }
        if (gradParams) {
          const p = gradParams;
          p.bias_ih_l0[i] += gar;
          p.bias_ih_l0[n + i] += gaz;
          p.bias_ih_l0[2 * n + i] += gac;
          p.bias_hh_l0[i] += gar;
          p.bias_hh_l0[n + i] += gaz;
          p.bias_hh_l0[2 * n + i] += ghn;
          for (let j = 0; j < m; j++) {
            const xv = x[xo + j];
            p.weight_ih_l0[i * m + j] += gar * xv;
            p.weight_ih_l0[(n + i) * m + j] += gaz * xv;
            p.weight_ih_l0[(2 * n + i) * m + j] += gac * xv;
          }
          for (let j = 0; j < n; j++) {
            const hv = h[ho + j];
            p.weight_hh_l0[i * n + j] += gar * hv;
            p.weight_hh_l0[(n + i) * n + j] += gaz * hv;
            p.weight_hh_l0[(2 * n + i) * n + j] += ghn * hv;
          }
        }
      }
    },
  };
}

/** The sequential loop s_t = f(s_{t−1}, x_t), batch outermost; `h0` is `[B][n]` or null (zeros). */
export function sequentialStates(
  cell: Cell,
  inputs: FloatArray,
  batch: number,
  length: number,
  h0: FloatArray | null,
): Float64Array {
  const n = cell.stateSize;
  const m = cell.inputSize;
  const s = new Float64Array(batch * length * n);
  const zero = new Float64Array(n);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < length; t++) {
      const k = b * length + t;
      if (t === 0) cell.step(h0 ?? zero, h0 ? b * n : 0, inputs, k * m, s, k * n);
      else cell.step(s, (k - 1) * n, inputs, k * m, s, k * n);
    }
  }
  return s;
}

/** L = Σ ⟨g, s⟩ for the sequential trajectory. */
export function linearLoss(
  cell: Cell,
  inputs: FloatArray,
  batch: number,
  length: number,
  h0: FloatArray | null,
  g: Float64Array,
): number {
  const s = sequentialStates(cell, inputs, batch, length, h0);
  let loss = 0;
  for (let i = 0; i < s.length; i++) loss += g[i] * s[i];
  return loss;
}

/** Gradients of a reference computation. */
export interface ReferenceGradients {
  params: GradientMap;
  inputs: Float64Array;
  h0: Float64Array;
}

/**
 * Backpropagation through time for the test Elman cell written out in full (no cell code): λ_T = g_T,
 * then for t = T … 1: a_t's cotangent δ = λ_t ⊙ (1 − s_t²), λ_{t−1} = g_{t−1} + W_hhᵀ δ.
 */
export function elmanBptt(
  cell: Cell,
  inputs: Float64Array,
  states: Float64Array,
  batch: number,
  length: number,
  h0: Float64Array | null,
  g: Float64Array,
): ReferenceGradients {
  const n = cell.stateSize;
  const m = cell.inputSize;
  const P = cell.parameters as TensorMap;
  const Wih = P.weight_ih_l0.data;
  const Whh = P.weight_hh_l0.data;
  const gW_ih = new Float64Array(n * m);
  const gW_hh = new Float64Array(n * n);
  const gb = new Float64Array(n);
  const gx = new Float64Array(batch * length * m);
  const gh0 = new Float64Array(batch * n);
  for (let b = 0; b < batch; b++) {
    let lam = Array.from({ length: n }, (_, i) => g[(b * length + length - 1) * n + i]);
    for (let t = length - 1; t >= 0; t--) {
      const k = b * length + t;
      const delta = lam.map((l, i) => l * (1 - states[k * n + i] ** 2));
      const prev = (j: number): number => (t === 0 ? (h0 ? h0[b * n + j] : 0) : states[(k - 1) * n + j]);
      const next = new Array<number>(n).fill(0);
      for (let i = 0; i < n; i++) {
        gb[i] += delta[i];
        for (let j = 0; j < m; j++) {
          gW_ih[i * m + j] += delta[i] * inputs[k * m + j];
          gx[k * m + j] += Wih[i * m + j] * delta[i];
        }
        for (let j = 0; j < n; j++) {
          gW_hh[i * n + j] += delta[i] * prev(j);
          next[j] += Whh[i * n + j] * delta[i];
        }
      }
      if (t === 0) for (let j = 0; j < n; j++) gh0[b * n + j] = next[j];
      else lam = next.map((v, j) => v + g[(k - 1) * n + j]);
    }
  }
  return {
    params: { weight_ih_l0: gW_ih, weight_hh_l0: gW_hh, bias_ih_l0: gb, bias_hh_l0: Float64Array.from(gb) },
    inputs: gx,
    h0: gh0,
  };
}

/** BPTT as a plain reverse loop over `cell.vjp` (for cells whose equations are not written out here). */
export function vjpBptt(
  cell: Cell,
  inputs: FloatArray,
  states: FloatArray,
  batch: number,
  length: number,
  h0: Float64Array | null,
  g: Float64Array,
): ReferenceGradients {
  const n = cell.stateSize;
  const m = cell.inputSize;
  const params: GradientMap = {};
  for (const [k, t] of Object.entries(cell.parameters ?? {})) params[k] = new Float64Array(t.data.length);
  const gx = new Float64Array(batch * length * m);
  const gh0 = new Float64Array(batch * n);
  const zero = new Float64Array(n);
  const vjp = cell.vjp as NonNullable<Cell['vjp']>;
  for (let b = 0; b < batch; b++) {
    let lam = new Float64Array(n);
    for (let i = 0; i < n; i++) lam[i] = g[(b * length + length - 1) * n + i];
    for (let t = length - 1; t >= 0; t--) {
      const k = b * length + t;
      const next = new Float64Array(n);
      if (t === 0) vjp(h0 ?? zero, h0 ? b * n : 0, inputs, k * m, lam, 0, next, 0, gx, k * m, params);
      else vjp(states, (k - 1) * n, inputs, k * m, lam, 0, next, 0, gx, k * m, params);
      if (t === 0) gh0.set(next, b * n);
      else {
        for (let i = 0; i < n; i++) next[i] += g[(k - 1) * n + i];
        lam = next;
      }
    }
  }
  return { params, inputs: gx, h0: gh0 };
}

/** max |a − b| / max(max |b|, tiny). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, 1e-300);
}

/** Central finite difference of `loss` with respect to `array[index]` (restored afterwards). */
export function centralDifference(
  array: Float64Array,
  index: number,
  loss: () => number,
  eps = 1e-6,
): number {
  const v = array[index];
  array[index] = v + eps;
  const up = loss();
  array[index] = v - eps;
  const down = loss();
  array[index] = v;
  return (up - down) / (2 * eps);
}

/**
 * A minimal DEER / quasi-DEER written for the tests (dense or diagonal Newton, sequential linear solve),
 * standing in for the library's solver so that the gradient and training code is tested on trajectories
 * that come from Newton iterations rather than from the sequential loop.
 */
export function newtonSolveForTests(cell: Cell, inputs: FloatArray, options: SolveOptions): SolveResult {
  const started = performance.now();
  const n = cell.stateSize;
  const m = cell.inputSize;
  const B = options.batch ?? 1;
  const T = m > 0 ? inputs.length / (B * m) : (options.length as number);
  const quasi = options.method === 'quasi-deer';
  const atol = options.atol ?? 1e-6;
  const rtol = options.rtol ?? 1e-4;
  const maxIter = options.maxIter ?? T;
  const s = new Float64Array(B * T * n);
  if (options.initialGuess instanceof Float64Array) s.set(options.initialGuess);
  const f = new Float64Array(n);
  const J = new Float64Array(n * n);
  const zero = new Float64Array(n);
  const next = new Float64Array(T * n);
  const iterationsPerSequence: number[] = [];
  const convergedPerSequence: boolean[] = [];
  for (let b = 0; b < B; b++) {
    let it = 0;
    let ok = false;
    while (it < maxIter && !ok) {
      it++;
      let worst = 0;
      for (let t = 0; t < T; t++) {
        const k = b * T + t;
        const prevOld = t === 0 ? zero : s;
        const po = t === 0 ? 0 : (k - 1) * n;
        cell.denseJacobian?.(prevOld, po, inputs, k * m, f, 0, J, 0);
        for (let i = 0; i < n; i++) {
          let v = f[i];
          for (let j = 0; j < n; j++) {
            if (quasi && j !== i) continue;
            const prevNew = t === 0 ? 0 : next[(t - 1) * n + j];
            v += J[i * n + j] * (prevNew - prevOld[po + j]);
          }
          next[t * n + i] = v;
        }
      }
      for (let i = 0; i < T * n; i++) {
        const d = Math.abs(next[i] - s[b * T * n + i]);
        worst = Math.max(worst, d - rtol * Math.abs(next[i]));
        s[b * T * n + i] = next[i];
      }
      ok = worst <= atol;
    }
    iterationsPerSequence.push(it);
    convergedPerSequence.push(ok);
  }
  return {
    states: s,
    dtype: 'float64',
    method: options.method ?? 'deer',
    batch: B,
    length: T,
    size: n,
    converged: convergedPerSequence.every(Boolean),
    convergedPerSequence,
    iterations: Math.max(...iterationsPerSequence),
    iterationsPerSequence,
    residual: 0,
    history: [],
    events: [],
    backend: 'test-newton',
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * Backpropagation through time for a PyTorch GRU written out from its equations (reads only the
 * parameters by name; no cell code): forward pass storing gates, then one reverse loop.
 */
export function gruBptt(
  params: TensorMap,
  inputs: ArrayLike<number>,
  batch: number,
  length: number,
  h0: Float64Array | null,
  g: Float64Array,
): ReferenceGradients & { states: Float64Array } {
  const Wi = params.weight_ih_l0.data;
  const Wh = params.weight_hh_l0.data;
  const bi = params.bias_ih_l0.data;
  const bh = params.bias_hh_l0.data;
  const n = params.weight_hh_l0.shape[1];
  const m = params.weight_ih_l0.shape[1];
  const T = length;
  const N = batch * T;
  const r = new Float64Array(N * n);
  const z = new Float64Array(N * n);
  const c = new Float64Array(N * n);
  const hn = new Float64Array(N * n);
  const s = new Float64Array(N * n);
  const prevOf = (b: number, t: number, j: number): number =>
    t === 0 ? (h0 ? h0[b * n + j] : 0) : s[(b * T + t - 1) * n + j];
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < T; t++) {
      const k = b * T + t;
      for (let i = 0; i < n; i++) {
        let ar = bi[i] + bh[i];
        let az = bi[n + i] + bh[n + i];
        let ai = bi[2 * n + i];
        let ah = bh[2 * n + i];
        for (let j = 0; j < m; j++) {
          ar += Wi[i * m + j] * inputs[k * m + j];
          az += Wi[(n + i) * m + j] * inputs[k * m + j];
          ai += Wi[(2 * n + i) * m + j] * inputs[k * m + j];
        }
        for (let j = 0; j < n; j++) {
          const hv = prevOf(b, t, j);
          ar += Wh[i * n + j] * hv;
          az += Wh[(n + i) * n + j] * hv;
          ah += Wh[(2 * n + i) * n + j] * hv;
        }
        const q = k * n + i;
        r[q] = 1 / (1 + Math.exp(-ar));
        z[q] = 1 / (1 + Math.exp(-az));
        hn[q] = ah;
        c[q] = Math.tanh(ai + r[q] * ah);
      }
      for (let i = 0; i < n; i++) {
        const q = k * n + i;
        s[q] = (1 - z[q]) * c[q] + z[q] * prevOf(b, t, i);
      }
    }
  }
  const gWi = new Float64Array(Wi.length);
  const gWh = new Float64Array(Wh.length);
  const gbi = new Float64Array(bi.length);
  const gbh = new Float64Array(bh.length);
  const gx = new Float64Array(N * m);
  const gh0 = new Float64Array(batch * n);
  for (let b = 0; b < batch; b++) {
    let lam = new Float64Array(n);
    for (let i = 0; i < n; i++) lam[i] = g[(b * T + T - 1) * n + i];
    for (let t = T - 1; t >= 0; t--) {
      const k = b * T + t;
      const next = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const q = k * n + i;
        const gac = lam[i] * (1 - z[q]) * (1 - c[q] * c[q]);
        const gaz = lam[i] * (prevOf(b, t, i) - c[q]) * z[q] * (1 - z[q]);
        const ghn = gac * r[q];
        const gar = gac * hn[q] * r[q] * (1 - r[q]);
        next[i] += lam[i] * z[q];
        gbi[i] += gar;
        gbi[n + i] += gaz;
        gbi[2 * n + i] += gac;
        gbh[i] += gar;
        gbh[n + i] += gaz;
        gbh[2 * n + i] += ghn;
        for (let j = 0; j < m; j++) {
          const xv = inputs[k * m + j];
          gWi[i * m + j] += gar * xv;
          gWi[(n + i) * m + j] += gaz * xv;
          gWi[(2 * n + i) * m + j] += gac * xv;
          gx[k * m + j] += Wi[i * m + j] * gar + Wi[(n + i) * m + j] * gaz + Wi[(2 * n + i) * m + j] * gac;
        }
        for (let j = 0; j < n; j++) {
          const hv = prevOf(b, t, j);
          gWh[i * n + j] += gar * hv;
          gWh[(n + i) * n + j] += gaz * hv;
          gWh[(2 * n + i) * n + j] += ghn * hv;
          next[j] += Wh[i * n + j] * gar + Wh[(n + i) * n + j] * gaz + Wh[(2 * n + i) * n + j] * ghn;
        }
      }
      if (t === 0) gh0.set(next, b * n);
      else {
        for (let i = 0; i < n; i++) next[i] += g[(k - 1) * n + i];
        lam = next;
      }
    }
  }
  return {
    states: s,
    params: { weight_ih_l0: gWi, weight_hh_l0: gWh, bias_ih_l0: gbi, bias_hh_l0: gbh },
    inputs: gx,
    h0: gh0,
  };
}
