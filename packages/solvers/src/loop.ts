/**
 * The one solver loop every iterative method runs (DEER, quasi-DEER, block-DEER, Jacobi, ELK, quasi-ELK).
 *
 * Each iteration: (1) update — an affine scan (Newton), a Kalman scan (Levenberg–Marquardt) or a copy
 * (Jacobi) turns the linearisation (A_t, b_t) into the next trajectory; (2) linearise the new trajectory,
 * which also yields f(s_{t−1}) and hence the residual r_t = s_t − f(s_{t−1}); (3) sequences whose residual
 * meets the tolerance leave the active batch, which is compacted so they stop costing work.
 *
 * The loop is a generator that yields each scan's result (a report or a Promise of one), so the
 * synchronous and asynchronous entry points drive the same body.
 *
 * Precision: working trajectories, A_t, b_t and the scans use the result dtype; the cell evaluates f and
 * its Jacobians in double; b_t = f − A_t s_{t−1}, the residual and the trust-region ratio are computed in double.
 */
import {
  type Cell,
  ConvergenceError,
  type FloatArray,
  type IterationRecord,
  operatorStepSize,
  type ProgressInfo,
  type ScanBackend,
  type ScanReport,
  type SolveResult,
  type SolverEvent,
  supportsAffine,
} from '@antler/core';
import { type LinearizationStructure, linearize } from '@antler/jacobian';
import {
  createNewtonCorrectionScratch,
  forwardDifferenceJvp,
  newtonCorrectionWithinTolerance,
  type ResidualStats,
  residualStats,
} from './convergence.js';
import {
  gainRatio,
  initialLambdaFromJacobian,
  type TrustRegionState,
  updateTrustRegion,
} from './elk/trust-region.js';
import {
  chooseDiscount,
  type Discount,
  discountWeight,
  scaleLinearisation,
  type TangentMap,
  unscaleStep,
} from './elk/discount.js';
import {
  andersonMix,
  andersonMoveSlot,
  andersonPlain,
  andersonReset,
  createAndersonState,
} from './methods/anderson.js';
import type { MethodSpec } from './methods/method-spec.js';
import type { ResolvedProblem } from './options.js';
import { runProblemSequence } from './sequential.js';

/** Adaptive ELK switches to the discounted merit when an accepted step keeps more than this share of ‖r‖². */
const SLOW_PROGRESS = 0.25;

/** After this many rejected steps in a row adaptive ELK stops damping that sequence (with an event). */
const MAX_CONSECUTIVE_REJECTIONS = 12;

/** … or once this many of its certifying undamped steps were rejected. */
const MAX_UNDAMPED_REJECTIONS = 3;

/** Adaptive ELK also stops damping a sequence whose λ has grown this large (its steps no longer move). */
const LAMBDA_GIVE_UP = 1e6;

/** What the loop yields: a scan's report, or a Promise of it. */
export type ScanCall = ScanReport | Promise<ScanReport>;

/** Callbacks of the loop. */
export interface LoopHooks {
  readonly onProgress?: (info: ProgressInfo) => void;
  readonly signal?: AbortSignal;
}

function allocate(dtype: 'float64' | 'float32', length: number): Float64Array | Float32Array {
  return dtype === 'float64' ? new Float64Array(length) : new Float32Array(length);
}

/** The iterative solve as a generator over scan calls; returns the finished result. */
export function* solveLoop(
  cell: Cell,
  p: ResolvedProblem,
  spec: MethodSpec,
  backend: ScanBackend,
  events: SolverEvent[],
  hooks: LoopHooks,
  started: number,
): Generator<ScanCall, SolveResult, ScanReport> {
  const { batch: B, length: T, size: n, inputSize: m, dtype } = p;
  const stepElems = T * n;
  const k = p.blockSize;
  const structure = spec.structure;
  const aStep = structure === 'zero' ? 0 : operatorStepSize(structure, n, k);

  const result = allocate(dtype, B * stepElems);
  let work = allocate(dtype, B * stepElems);
  let next = allocate(dtype, B * stepElems);
  const aBuf = allocate(dtype, B * T * aStep);
  const bBuf = allocate(dtype, B * stepElems);
  const fBuf = new Float64Array(B * stepElems);
  const s0 = allocate(dtype, B * n);
  const fScratch = new Float64Array(n);
  /**
   * The merits at the candidate c in slot `o` (sequence `seq`, linearisation of slot `j`): `actual`
   * = Σ_t ‖c_t − f(c_{t−1})‖² (the true residual) and `model` = Σ_t ‖c_t − A_t c_{t−1} − b_t‖² (the
   * residual the linearisation predicts, ‖r + Jδ‖² with δ = c − s). NaN when either is not finite.
   */
  const candidateMerits = (
    s: 'dense' | 'diagonal',
    c: FloatArray,
    o: number,
    seq: number,
    j: number,
    d: Discount,
  ): { current: number; actual: number; model: number; withinTolerance: boolean } => {
    let within = true;
    let current = 0;
    let actual = 0;
    let model = 0;
    const ao = j * T * aStep;
    for (let t = 0; t < T; t++) {
      const prev = t === 0 ? p.h0 : c;
      const po = t === 0 ? seq * n : o + (t - 1) * n;
      const w = discountWeight(d, t);
      const w2 = w * w;
      if (w2 === 0) {
        within = false;
        break;
      }
      cell.step(prev, po, p.inputs, (seq * T + t) * m, fScratch, 0);
      for (let i = 0; i < n; i++) {
        const ct = c[o + t * n + i];
        let lin = bBuf[o + t * n + i];
        if (s === 'diagonal') lin += aBuf[ao + t * n + i] * prev[po + i];
        else for (let q = 0; q < n; q++) lin += aBuf[ao + t * n * n + i * n + q] * prev[po + q];
        const dm = ct - lin;
        const da = ct - fScratch[i];
        const dc = work[o + t * n + i] - fBuf[o + t * n + i];
        if (!(Math.abs(da) <= p.atol + p.rtol * Math.abs(ct))) within = false;
        model += w2 * dm * dm;
        actual += w2 * da * da;
        current += w2 * dc * dc;
      }
    }
    const finite = (v: number): number => (v - v === 0 ? v : Number.NaN);
    return {
      current: finite(current),
      actual: finite(actual),
      model: finite(model),
      withinTolerance: within,
    };
  };
  // One slot's scaled linear model for the discounted Kalman scan (adaptive ELK).
  const scaledA = allocate(dtype, T * aStep);
  const scaledB = allocate(dtype, stepElems);
  const scaledY = allocate(dtype, stepElems);
  const scaledZ = allocate(dtype, stepElems);
  const tangentPrev = new Float64Array(n);
  const stepOf = cell.step.bind(cell);
  /** J_t v of slot j: the dense A_t itself, or a finite-difference JVP of the cell for a diagonal method. */
  const tangentMap = (j: number, seq: number): TangentMap => {
    const o = j * stepElems;
    const ao = j * T * aStep;
    if (structure === 'dense') {
      return (t, v, u) => {
        for (let i = 0; i < n; i++) {
          let acc = 0;
          for (let q = 0; q < n; q++) acc += aBuf[ao + t * n * n + i * n + q] * v[q];
          u[i] = acc;
        }
      };
    }
    return (t, v, u) => {
      // t ≥ 1 here (the growth is carried after the front), so s_{t−1} is in the iterate.
      let scale = 0;
      for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(work[o + (t - 1) * n + i]));
      const eps = 1e-7 * (1 + scale);
      forwardDifferenceJvp(
        stepOf,
        work,
        o + (t - 1) * n,
        p.inputs,
        (seq * T + t) * m,
        fBuf,
        o + t * n,
        v,
        eps,
        tangentPrev,
        u,
      );
    };
  };
  /** ‖A_t‖∞ (largest row sum of |A_t|) of slot j's dense linearisation. */
  const denseRowNorm = (j: number, t: number): number => {
    const base = j * T * aStep + t * n * n;
    let max = 0;
    for (let i = 0; i < n; i++) {
      let row = 0;
      for (let q = 0; q < n; q++) row += Math.abs(aBuf[base + i * n + q]);
      if (row > max) max = row;
    }
    return max;
  };

  // Initial guess, packed by slot (slot j holds sequence active[j]).
  for (let b = 0; b < B; b++) {
    const o = b * stepElems;
    if (p.initialGuess === 'h0') {
      for (let t = 0; t < T; t++) for (let i = 0; i < n; i++) work[o + t * n + i] = p.h0[b * n + i];
    } else if (p.initialGuess !== 'zeros') {
      work.set(p.initialGuess.subarray(o, o + stepElems), o);
    }
    for (let i = 0; i < n; i++) s0[b * n + i] = p.h0[b * n + i];
  }

  let active: number[] = Array.from({ length: B }, (_, b) => b);
  const converged = new Array<boolean>(B).fill(false);
  const failed = new Array<boolean>(B).fill(false);
  const iterationsPer = new Array<number>(B).fill(0);
  const finalResidual = new Array<number>(B).fill(Number.NaN);
  const lastSumSquares = new Float64Array(B);
  const trust: TrustRegionState[] = Array.from({ length: B }, () => ({
    lambda: p.fixedLambda ?? p.initialLambda ?? 0,
    nu: 2,
  }));
  const history: IterationRecord[] = [];
  // Per sequence: adaptive ELK uses the time-discounted merit (after its first rejected step).
  const discounting = new Array<boolean>(B).fill(false);
  // Per sequence: its last undamped step was rejected; consecutive rejections; trust region given up
  // (a diagonal model need not give descent directions, so quasi-ELK can stall; it then runs quasi-DEER).
  const undampedFailed = new Array<boolean>(B).fill(false);
  const rejections = new Array<number>(B).fill(0);
  const undampedRejections = new Array<number>(B).fill(0);
  const undampedOnly = new Array<boolean>(B).fill(false);
  // Per slot of the current iteration: the LM method took the undamped Newton step (see below).
  const undamped = new Array<boolean>(B).fill(false);
  const canUndamp =
    spec.update === 'levenberg-marquardt' &&
    supportsAffine(backend, dtype, structure as 'dense' | 'diagonal', k);
  /** Every residual of slot j's current iterate meets atol + rtol·|s|. */
  const residualWithinTolerance = (j: number): boolean => {
    const o = j * stepElems;
    for (let i = 0; i < stepElems; i++) {
      const v = work[o + i];
      if (!(Math.abs(v - fBuf[o + i]) <= p.atol + p.rtol * Math.abs(v))) return false;
    }
    return true;
  };
  let fdReported = false;

  const linearizeSlot = (j: number, seq: number, s: LinearizationStructure): void => {
    const rep = linearize({
      cell,
      structure: s,
      blockSize: k,
      batch: 1,
      length: T,
      states: { data: work, offset: j * stepElems },
      h0: { data: p.h0, offset: seq * n },
      inputs: m > 0 ? { data: p.inputs, offset: seq * T * m } : null,
      a: aStep > 0 && s !== 'none' ? { data: aBuf, offset: j * T * aStep } : null,
      b: s !== 'none' ? { data: bBuf, offset: j * stepElems } : null,
      f: { data: fBuf, offset: j * stepElems },
    });
    if (rep.source === 'finite-difference' && !fdReported) {
      fdReported = true;
      events.push({
        kind: 'finite-difference-jacobian',
        message: `cell '${cell.kind}' has no analytic ${s} Jacobian (nor a dense one): using central finite differences`,
      });
    }
  };

  const correctionScratch = createNewtonCorrectionScratch(n);
  // Dense methods step with the exact Jacobian (ELK certifies with its undamped step), so their step is
  // the Newton error estimate; the others must pass the Newton-correction certificate.
  const approximate = structure !== 'dense';
  const certified = (j: number, seq: number): boolean =>
    !approximate ||
    newtonCorrectionWithinTolerance(
      stepOf,
      work,
      j * stepElems,
      fBuf,
      j * stepElems,
      p.inputs,
      seq * T * m,
      T,
      n,
      m,
      p.atol,
      p.rtol,
      correctionScratch,
    );

  /**
   * Residual check of the slots in `check` (freshly linearised); sequences that converged, or whose
   * residual or iterate is non-finite (`failedSlots`), leave the active batch, which is compacted.
   */
  const checkAndCompact = (
    iteration: number,
    check: readonly number[],
    failedSlots: ReadonlySet<number>,
    smallStep: ReadonlySet<number>,
  ): ResidualStats[] => {
    const stats: ResidualStats[] = [];
    const leaving = new Set<number>(failedSlots);
    for (const j of check) {
      const seq = active[j];
      const st = residualStats(work, j * stepElems, fBuf, j * stepElems, stepElems, p.atol, p.rtol);
      stats.push(st);
      finalResidual[seq] = st.maxResidual;
      lastSumSquares[seq] = st.sumSquares;
      if (!st.finite) {
        events.push({
          kind: 'non-finite',
          iteration,
          sequence: seq,
          message: `sequence ${seq}: the residual s_t − f(s_{t−1}) is non-finite at iteration ${iteration} (f overflowed at the iterate); stopped iterating it`,
        });
        failed[seq] = true;
        leaving.add(j);
      } else if (st.converged && smallStep.has(j) && certified(j, seq)) {
        converged[seq] = true;
        leaving.add(j);
      }
    }
    if (leaving.size > 0) {
      const kept: number[] = [];
      for (let j = 0; j < active.length; j++) {
        const seq = active[j];
        if (leaving.has(j)) {
          result.set(work.subarray(j * stepElems, (j + 1) * stepElems), seq * stepElems);
          continue;
        }
        const to = kept.length;
        if (to !== j) moveSlot(j, to);
        kept.push(seq);
      }
      active = kept;
    }
    return stats;
  };

  const anderson =
    p.acceleration === 'anderson' && spec.update === 'newton' && p.clip === null
      ? createAndersonState(B, stepElems, p.andersonMemory)
      : null;
  const mixedBackup = new Float64Array(anderson ? stepElems : 0);

  const moveSlot = (from: number, to: number): void => {
    if (anderson) andersonMoveSlot(anderson, from, to);
    work.copyWithin(to * stepElems, from * stepElems, (from + 1) * stepElems);
    bBuf.copyWithin(to * stepElems, from * stepElems, (from + 1) * stepElems);
    fBuf.copyWithin(to * stepElems, from * stepElems, (from + 1) * stepElems);
    if (aStep > 0) aBuf.copyWithin(to * T * aStep, from * T * aStep, (from + 1) * T * aStep);
    s0.copyWithin(to * n, from * n, (from + 1) * n);
  };

  // Iteration 0: linearise the guess; a warm start may already be the solution.
  for (let j = 0; j < active.length; j++) linearizeSlot(j, active[j], p.maxIter > 0 ? structure : 'none');
  // Adaptive λ without a given start: scale it to the Jacobian of the initial linearisation.
  if (spec.update === 'levenberg-marquardt' && p.fixedLambda === null && p.initialLambda === null) {
    for (let j = 0; j < active.length; j++) {
      trust[active[j]].lambda = initialLambdaFromJacobian(
        structure as 'dense' | 'diagonal',
        aBuf,
        j * T * aStep,
        T,
        n,
      );
    }
  }
  // No sequence converges here: convergence needs a step too (see `smallStep` below), so even an exact
  // warm start costs one confirming iteration.
  checkAndCompact(
    0,
    active.map((_, j) => j),
    new Set(),
    new Set(),
  );

  for (let iter = 1; iter <= p.maxIter && active.length > 0; iter++) {
    hooks.signal?.throwIfAborted();
    const nA = active.length;
    const accepted = new Array<boolean>(nA).fill(true);
    let lambdaUsed: number | undefined;

    // (1) Update: next = the method's step from the linearisation in the slots.
    if (spec.update === 'fixed-point') {
      for (let i = 0; i < nA * stepElems; i++) next[i] = fBuf[i];
    } else if (spec.update === 'newton') {
      yield backend.affineScan({
        structure: structure as 'dense' | 'diagonal' | 'block',
        blockSize: k,
        batch: nA,
        length: T,
        size: n,
        a: { data: aBuf.subarray(0, nA * T * aStep) },
        b: { data: bBuf.subarray(0, nA * stepElems) },
        s0: { data: s0.subarray(0, nA * n) },
        out: { data: next.subarray(0, nA * stepElems) },
      });
    } else {
      const kalmanStructure = structure as 'dense' | 'diagonal';
      const kalman = backend.kalmanScan?.bind(backend);
      if (!kalman) throw new Error('unreachable: LM methods are only run on backends with kalmanScan');
      // Slots whose residual already meets the tolerance take the undamped Newton step (DEER /
      // quasi-DEER) instead: near the solution it is the error estimate the step test needs — a damped
      // step is short by construction and would certify nothing on ill-conditioned problems.
      for (let j = 0; j < nA; j++) {
        const seq = active[j];
        undamped[j] =
          canUndamp && (undampedOnly[seq] || (!undampedFailed[seq] && residualWithinTolerance(j)));
      }
      const adaptive = p.fixedLambda === null;
      const lambdas = active.map((seq, j) => (undamped[j] ? 0 : trust[seq].lambda));
      lambdaUsed = Math.max(...lambdas);
      if (!adaptive && !undamped.slice(0, nA).some(Boolean)) {
        // Fixed λ: the plain (undiscounted) LM step of every slot in one scan.
        yield kalman({
          structure: kalmanStructure,
          batch: nA,
          length: T,
          size: n,
          a: { data: aBuf.subarray(0, nA * T * aStep) },
          b: { data: bBuf.subarray(0, nA * stepElems) },
          s0: { data: s0.subarray(0, nA * n) },
          y: { data: work.subarray(0, nA * stepElems) },
          processVariance: 1,
          observationVariance: 1 / (p.fixedLambda as number),
          smooth: p.elkVariant === 'smoother',
          out: { data: next.subarray(0, nA * stepElems) },
        });
      } else {
        for (let j = 0; j < nA; j++) {
          const seq = active[j];
          const o = j * stepElems;
          const ao = j * T * aStep;
          let d: Discount = { front: T, gamma: 1, horizon: T };
          if (undamped[j]) {
            yield backend.affineScan({
              structure: kalmanStructure,
              batch: 1,
              length: T,
              size: n,
              a: { data: aBuf.subarray(ao, ao + T * aStep) },
              b: { data: bBuf.subarray(o, o + stepElems) },
              s0: { data: s0.subarray(j * n, (j + 1) * n) },
              out: { data: next.subarray(o, o + stepElems) },
            });
          } else if (!adaptive || !discounting[seq]) {
            // The plain (undiscounted) LM step of this slot.
            yield kalman({
              structure: kalmanStructure,
              batch: 1,
              length: T,
              size: n,
              a: { data: aBuf.subarray(ao, ao + T * aStep) },
              b: { data: bBuf.subarray(o, o + stepElems) },
              s0: { data: s0.subarray(j * n, (j + 1) * n) },
              y: { data: work.subarray(o, o + stepElems) },
              processVariance: 1,
              observationVariance: 1 / lambdas[j],
              smooth: p.elkVariant === 'smoother',
              out: { data: next.subarray(o, o + stepElems) },
            });
          } else {
            d = chooseDiscount(
              work,
              o,
              fBuf,
              o,
              T,
              n,
              p.atol,
              p.rtol,
              tangentMap(j, seq),
              structure === 'dense' ? (t) => denseRowNorm(j, t) : null,
            );
            scaleLinearisation(d, kalmanStructure, n, aBuf, ao, bBuf, o, work, o, scaledA, scaledB, scaledY);
            const H = d.horizon;
            yield kalman({
              structure: kalmanStructure,
              batch: 1,
              length: H,
              size: n,
              a: { data: scaledA.subarray(0, H * aStep) },
              b: { data: scaledB.subarray(0, H * n) },
              s0: { data: s0.subarray(j * n, (j + 1) * n) },
              y: { data: scaledY.subarray(0, H * n) },
              processVariance: 1,
              observationVariance: 1 / lambdas[j],
              smooth: p.elkVariant === 'smoother',
              out: { data: scaledZ.subarray(0, H * n) },
            });
            unscaleStep(d, T, n, scaledZ, work, o, next, o);
          }
          if (!adaptive || undampedOnly[seq]) continue;
          const merit = candidateMerits(kalmanStructure, next, o, seq, j, d);
          const rho = gainRatio(merit.current, merit.actual, merit.model);
          const lambda = lambdas[j];
          const lambdaBefore = trust[seq].lambda;
          // A candidate that already meets the residual tolerance is kept even when rounding makes its
          // merit a hair larger (near the solution both are at the level of rounding errors).
          accepted[j] = updateTrustRegion(trust[seq], rho) || merit.withinTolerance;
          // A rejected undamped step is not retried at once: the next step is damped.
          undampedFailed[seq] = !accepted[j] && undamped[j];
          if (!accepted[j] && undamped[j]) undampedRejections[seq]++;
          // Only a step that lowers the merit ends a run of rejections (a no-op step kept because it is
          // within tolerance does not).
          rejections[seq] = rho > 0 ? 0 : rejections[seq] + 1;
          // Given up: a run of rejections, λ so large that steps no longer move, the certifying step
          // refused again and again (the residual is small but the error is not, along directions the
          // damped steps barely move), or T iterations spent. The undamped steps that follow converge
          // in at most T further iterations, like DEER / quasi-DEER.
          const why =
            rejections[seq] >= MAX_CONSECUTIVE_REJECTIONS
              ? `${rejections[seq]} rejected steps in a row`
              : trust[seq].lambda >= LAMBDA_GIVE_UP
                ? `λ = ${trust[seq].lambda.toPrecision(3)}`
                : undampedRejections[seq] >= MAX_UNDAMPED_REJECTIONS
                  ? `${undampedRejections[seq]} certifying undamped steps rejected`
                  : iter >= T
                    ? `not converged after T = ${T} iterations`
                    : null;
          if (why !== null && canUndamp) {
            undampedOnly[seq] = true;
            events.push({
              kind: 'step-rejected',
              iteration: iter,
              sequence: seq,
              message: `sequence ${seq}: the trust region is given up (${why}); undamped ${structure === 'dense' ? 'DEER' : 'quasi-DEER'} steps from now on`,
            });
          }
          // A plain step that removes less than 3/4 of the merit signals the ill-conditioned regime
          // (on well-conditioned problems the near-Newton step removes nearly all of it).
          if (
            accepted[j] &&
            !discounting[seq] &&
            !undamped[j] &&
            merit.actual > SLOW_PROGRESS * merit.current
          ) {
            discounting[seq] = true;
          }
          if (!accepted[j]) {
            // The plain merit ‖r‖² rejected a step: from now on this sequence uses the discounted one,
            // starting from the same λ (the merit, not the damping, was at fault).
            if (!discounting[seq]) {
              discounting[seq] = true;
              trust[seq].lambda = lambdaBefore;
              trust[seq].nu = 2;
            }
            next.set(work.subarray(o, o + stepElems), o);
            events.push({
              kind: 'step-rejected',
              iteration: iter,
              sequence: seq,
              message: `sequence ${seq}: ${undamped[j] ? 'undamped Newton step' : `step at λ = ${lambda.toPrecision(3)}`} rejected (gain ratio ${rho.toPrecision(3)}: the merit would not decrease); kept the iterate, λ raised to ${trust[seq].lambda.toPrecision(3)}`,
            });
          }
        }
      }
    }

    // Anderson acceleration (quasi-DEER): mix the plain steps of the last iterations. The safeguard is
    // in (3): a mixed iterate whose residual is not below the current one is replaced by the plain step.
    let acceleratedCount = 0;
    const mixed = new Array<boolean>(nA).fill(false);
    if (anderson) {
      for (let j = 0; j < nA; j++) {
        // Only past the front (the first step whose residual misses the tolerance) is mixed: the plain
        // step keeps the converged prefix and extends it, so the finite termination of quasi-DEER
        // (exact after T iterations) survives the acceleration.
        const o = j * stepElems;
        let front = stepElems;
        for (let i = 0; i < stepElems; i++) {
          const v = work[o + i];
          if (!(Math.abs(v - fBuf[o + i]) <= p.atol + p.rtol * Math.abs(v))) {
            front = i - (i % n);
            break;
          }
        }
        mixed[j] = andersonMix(anderson, j, work, o, next, o, Math.min(stepElems, front + n));
      }
    }

    // (2) Inspect the new iterates: finiteness, step size, clipping; then swap buffers.
    let maxStep = 0;
    const tmp = work;
    work = next;
    next = tmp;
    const updated: number[] = [];
    // Slots whose step s^k − s^{k−1} met the tolerance everywhere. A small residual alone does not bound
    // the error where the dynamics amplify it (unstable or chaotic cells); the Newton step is the
    // linearised error estimate that accounts for that, so convergence needs both.
    const smallStep = new Set<number>();
    // Undamped updates (Newton with any Jacobian structure, or the fixed point) are exact after T
    // iterations: s_1 … s_k are exact after k of them. Past that bound the step test is not needed.
    const exactByConstruction = spec.update !== 'levenberg-marquardt' && iter >= T;
    for (let j = 0; j < nA; j++) {
      if (!accepted[j]) continue;
      const seq = active[j];
      const o = j * stepElems;
      let bad = -1;
      let clipped = 0;
      // The step in tolerance units: max_i |s^k_i − s^{k−1}_i| / (atol + rtol·|s^k_i|).
      let scaledStep = 0;
      for (let i = 0; i < stepElems; i++) {
        let v = work[o + i];
        if (v - v !== 0) {
          bad = i;
          break;
        }
        if (p.clip !== null && Math.abs(v) > p.clip) {
          v = v > 0 ? p.clip : -p.clip;
          work[o + i] = v;
          clipped++;
        }
        const d = Math.abs(v - next[o + i]);
        if (d > maxStep) maxStep = d;
        if (d > 0) {
          const u = d / (p.atol + p.rtol * Math.abs(v));
          if (!(u <= scaledStep)) scaledStep = u;
        }
      }
      if (bad >= 0) {
        events.push({
          kind: 'non-finite',
          iteration: iter,
          sequence: seq,
          message: `sequence ${seq}: iterate ${iter} has a non-finite value at step t = ${Math.floor(bad / n) + 1}, component ${bad % n}; kept iterate ${iter - 1} and stopped iterating it`,
        });
        work.set(next.subarray(o, o + stepElems), o);
        failed[seq] = true;
        continue;
      }
      if (clipped > 0) {
        events.push({
          kind: 'clipped',
          iteration: iter,
          sequence: seq,
          message: `sequence ${seq}: ${clipped} values of iterate ${iter} clipped to ±${p.clip}`,
        });
      }
      updated.push(j);
      const stepWithinTolerance = scaledStep <= 1;
      // LM methods certify only with an undamped step (a damped one is short by construction).
      // (A backend without the affine scan cannot take that step; its damped steps certify, as before.)
      const certifies = spec.update !== 'levenberg-marquardt' || undamped[j] || !canUndamp;
      if ((stepWithinTolerance && certifies) || exactByConstruction) smallStep.add(j);
    }

    // (3) Linearise the new iterates (only f at the last allowed iteration) and check the residual.
    const last = iter === p.maxIter;
    for (const j of updated) linearizeSlot(j, active[j], last ? 'none' : structure);
    if (anderson) {
      for (const j of updated) {
        if (!mixed[j]) continue;
        const seq = active[j];
        const o = j * stepElems;
        let ss = 0;
        for (let i = 0; i < stepElems; i++) {
          const d = work[o + i] - fBuf[o + i];
          ss += d * d;
        }
        if (ss <= lastSumSquares[seq]) {
          acceleratedCount++;
          continue;
        }
        // Safeguard: back to the plain quasi-DEER step G(s_k) with a fresh history (unless it is not finite).
        andersonPlain(anderson, j, mixedBackup, 0);
        let finite = true;
        for (let i = 0; i < stepElems; i++) if (mixedBackup[i] - mixedBackup[i] !== 0) finite = false;
        if (!finite) continue;
        andersonReset(anderson, j);
        let scaledStep = 0;
        for (let i = 0; i < stepElems; i++) {
          const v = mixedBackup[i];
          work[o + i] = v;
          const d = Math.abs(v - next[o + i]);
          if (d > 0) scaledStep = Math.max(scaledStep, d / (p.atol + p.rtol * Math.abs(v)));
        }
        linearizeSlot(j, seq, last ? 'none' : structure);
        if (scaledStep <= 1 || exactByConstruction) smallStep.add(j);
        else smallStep.delete(j);
      }
    }
    const failedSlots = new Set<number>();
    const updatedSeqs = new Set<number>(updated.map((j) => active[j]));
    for (let j = 0; j < nA; j++) {
      const seq = active[j];
      iterationsPer[seq] = iter;
      if (failed[seq]) failedSlots.add(j);
    }
    const stats = checkAndCompact(iter, updated, failedSlots, smallStep);
    let maxResidual = 0;
    let sumSq = 0;
    for (const st of stats) {
      maxResidual = Math.max(maxResidual, st.maxResidual);
      sumSq += st.sumSquares;
    }
    // Sequences whose step was rejected keep their residual; they count too.
    for (const seq of active) {
      if (!updatedSeqs.has(seq)) {
        maxResidual = Math.max(maxResidual, finalResidual[seq]);
        sumSq += lastSumSquares[seq];
      }
    }
    const record: IterationRecord = {
      iteration: iter,
      maxStep,
      maxResidual,
      residualNorm: Math.sqrt(sumSq),
      active: active.length,
      ...(lambdaUsed === undefined ? {} : { lambda: lambdaUsed }),
      ...(anderson ? { accelerated: acceleratedCount } : {}),
    };
    history.push(record);
    hooks.onProgress?.({ ...record, maxIter: p.maxIter });
  }

  // Sequences still active ran out of iterations.
  for (let j = 0; j < active.length; j++) {
    const seq = active[j];
    result.set(work.subarray(j * stepElems, (j + 1) * stepElems), seq * stepElems);
    events.push({
      kind: 'max-iterations',
      sequence: seq,
      iteration: iterationsPer[seq],
      message: `sequence ${seq}: not converged after ${iterationsPer[seq]} iterations (max |r_t| = ${finalResidual[seq].toPrecision(3)}, atol ${p.atol}, rtol ${p.rtol})`,
    });
  }
  return applyDivergencePolicy(cell, p, finalResidual, {
    states: result,
    dtype,
    method: p.method,
    batch: B,
    length: T,
    size: n,
    converged: converged.every(Boolean),
    convergedPerSequence: converged,
    iterations: Math.max(0, ...iterationsPer),
    iterationsPerSequence: iterationsPer,
    residual: maxFinal(finalResidual),
    history,
    events,
    backend: backend.name,
    seconds: (performance.now() - started) / 1000,
  });
}

function maxFinal(values: readonly number[]): number {
  let m = 0;
  for (const v of values) {
    if (Number.isNaN(v)) return Number.NaN;
    if (v > m) m = v;
  }
  return m;
}

/**
 * What happens to sequences that did not converge: reported as they are, replaced by the sequential
 * loop (`fallback-sequential`, with an event per sequence), or a {@link ConvergenceError} carrying the result.
 */
export function applyDivergencePolicy(
  cell: Cell,
  p: ResolvedProblem,
  residualPerSequence: readonly number[],
  r: SolveResult,
): SolveResult {
  if (r.converged || p.onDivergence === 'report') return r;
  if (p.onDivergence === 'throw') {
    const bad = r.convergedPerSequence.map((c, i) => (c ? -1 : i)).filter((i) => i >= 0);
    throw new ConvergenceError(
      `${r.method} did not converge for sequence(s) ${bad.join(', ')} after ${r.iterations} iterations (max |r_t| = ${r.residual})`,
      r,
    );
  }
  const convergedPer = [...r.convergedPerSequence];
  const events = [...r.events];
  const residual = [...residualPerSequence];
  for (let seq = 0; seq < p.batch; seq++) {
    if (convergedPer[seq]) continue;
    const bad = runProblemSequence(cell, p, seq, r.states);
    convergedPer[seq] = bad < 0;
    events.push({
      kind: 'fallback-sequential',
      sequence: seq,
      message:
        bad < 0
          ? `sequence ${seq}: ${r.method} did not converge; states computed by the sequential loop instead`
          : `sequence ${seq}: ${r.method} did not converge and the sequential loop itself went non-finite at step t = ${bad + 1}`,
    });
    residual[seq] = bad < 0 ? sequenceResidual(cell, p, r.states, seq) : Number.NaN;
  }
  return {
    ...r,
    converged: convergedPer.every(Boolean),
    convergedPerSequence: convergedPer,
    residual: maxFinal(residual),
    events,
  };
}

/** max |s_t − f(s_{t−1}, x_t)| of one sequence of `states`, in double. */
export function sequenceResidual(
  cell: Cell,
  p: ResolvedProblem,
  states: Float64Array | Float32Array,
  seq: number,
): number {
  const n = p.size;
  const m = p.inputSize;
  const so = seq * p.length * n;
  const f = new Float64Array(n);
  let max = 0;
  for (let t = 0; t < p.length; t++) {
    if (t === 0) cell.step(p.h0, seq * n, p.inputs, seq * p.length * m, f, 0);
    else cell.step(states, so + (t - 1) * n, p.inputs, (seq * p.length + t) * m, f, 0);
    for (let i = 0; i < n; i++) {
      const a = Math.abs(states[so + t * n + i] - f[i]);
      if (!(a <= Number.MAX_VALUE)) return Number.NaN;
      if (a > max) max = a;
    }
  }
  return max;
}
