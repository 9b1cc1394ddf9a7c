/**
 * Compiled scan plans, cached by shape. A plan is one gpu.js kernel (the pass of `scan-kernel.ts`) and
 * one `createPipeline` plan that chains its ⌈log₂ T⌉ passes with the intermediates kept in device memory
 * (WebGPU storage buffers, or one shared wasm memory on webasm) and a single readback at the end.
 */
import type { GPU, IPipelineRunShortcut } from 'gpu.js';
import {
  CHUNK_APPLY_2_SOURCE,
  CHUNK_APPLY_SOURCE,
  CHUNK_REDUCE_2_SOURCE,
  CHUNK_REDUCE_SOURCE,
  chunkCount,
} from './chunked-kernel.js';
import { passDistances, SCAN_PASS_SOURCE } from './scan-kernel.js';

/** How the last plan ran, as gpu.js reports it. */
export interface PlanExecution {
  /** gpu.js's executor: `'fused-encoder'` (webgpu), `'fused-sync'`/`'fused-threaded'` (webasm), `'generic'`. */
  readonly executorKind: string;
  /** The mode whose kernels executed the plan. */
  readonly backend: string | null;
  /** Why gpu.js did not fuse the plan (null when fused). */
  readonly fallbackReason: string | null;
}

interface Plan {
  readonly kernels: { destroy?: (removeCanvasReferences?: boolean) => void }[];
  readonly pipeline: IPipelineRunShortcut;
}

/**
 * How a plan scans: `'hillis-steele'` passes over all of T (any k; result in the packed layout) or
 * `'chunked'` (k = 1 or 2; result is the states `[Q][T][k]`), see `chunked-kernel.ts`. A chunked
 * request for k > 2 runs Hillis–Steele.
 */
export type ScanAlgorithm = 'hillis-steele' | 'chunked';

/** The result of {@link ScanPlanCache.run}. */
export interface PlanResult {
  /** Packed `[Q][T][k² + k]` (hillis-steele) or states `[Q][T][k]` (chunked). */
  readonly result: ArrayLike<number>;
  /** Which layout `result` has. */
  readonly layout: 'packed' | 'states';
  readonly execution: PlanExecution;
}

type KernelCall = ((...args: unknown[]) => unknown) & { destroy?: () => void };

/** An LRU cache of scan plans for one gpu.js instance. */
export class ScanPlanCache {
  readonly #gpu: GPU;
  readonly #capacity: number;
  readonly #plans = new Map<string, Plan>();

  constructor(gpu: GPU, capacity = 16) {
    this.#gpu = gpu;
    this.#capacity = capacity;
  }

  /**
   * Scans `packed` (`count` problems of T steps of size k) on the device and returns the scanned
   * buffer, with how gpu.js executed it.
   */
  async run(
    packed: Float32Array,
    count: number,
    length: number,
    k: number,
    algorithm: ScanAlgorithm = 'hillis-steele',
    chunkLength = 8,
  ): Promise<PlanResult> {
    const chunked = algorithm === 'chunked' && (k === 1 || k === 2);
    const plan = chunked ? this.#chunkedPlan(count, length, k, chunkLength) : this.#plan(count, length, k);
    const result = (await plan.pipeline(packed)) as ArrayLike<number>;
    return {
      result,
      layout: chunked ? 'states' : 'packed',
      execution: {
        executorKind: plan.pipeline.executorKind,
        backend: plan.pipeline.backend,
        fallbackReason: plan.pipeline.fallbackReason,
      },
    };
  }

  #chunkedPlan(count: number, length: number, k: number, chunkLength: number): Plan {
    return this.#cached(`chunked|${count}|${length}|${k}|${chunkLength}`, () => {
      const S = k * k + k;
      const C = chunkCount(length, chunkLength);
      const constants = { T: length, L: chunkLength, C };
      const mk = (src: string, output: number, c: Record<string, number>) =>
        this.#gpu.createKernel(src as never, {
          output: [output],
          constants: c,
          tactic: 'precision',
        }) as unknown as KernelCall;
      const reduce = mk(k === 1 ? CHUNK_REDUCE_SOURCE : CHUNK_REDUCE_2_SOURCE, count * C * S, constants);
      const pass = mk(SCAN_PASS_SOURCE, count * C * S, { k, S, T: C });
      const apply = mk(k === 1 ? CHUNK_APPLY_SOURCE : CHUNK_APPLY_2_SOURCE, count * length * k, constants);
      const distances = passDistances(C);
      const pipeline = this.#gpu.createPipeline((e: unknown) => {
        let p = reduce(e);
        for (const d of distances) p = pass(p, d);
        return apply(e, p) as never;
      });
      return { kernels: [reduce, pass, apply], pipeline };
    });
  }

  #plan(count: number, length: number, k: number): Plan {
    return this.#cached(`hs|${count}|${length}|${k}`, () => {
      const S = k * k + k;
      const kernel = this.#gpu.createKernel(SCAN_PASS_SOURCE as never, {
        output: [count * length * S],
        constants: { k, S, T: length },
        tactic: 'precision',
      }) as unknown as KernelCall;
      const distances = passDistances(length);
      const pipeline = this.#gpu.createPipeline((e: unknown) => {
        let h = e;
        for (const d of distances) h = kernel(h, d);
        return h as never;
      });
      return { kernels: [kernel], pipeline };
    });
  }

  #cached(key: string, build: () => Plan): Plan {
    const hit = this.#plans.get(key);
    if (hit) {
      // Refresh its place in the LRU order.
      this.#plans.delete(key);
      this.#plans.set(key, hit);
      return hit;
    }
    const plan = build();
    this.#plans.set(key, plan);
    while (this.#plans.size > this.#capacity) {
      const [oldest, old] = this.#plans.entries().next().value as [string, Plan];
      this.#plans.delete(oldest);
      void destroyPlan(old);
    }
    return plan;
  }

  /** Releases every plan. */
  async clear(): Promise<void> {
    const plans = [...this.#plans.values()];
    this.#plans.clear();
    await Promise.all(plans.map(destroyPlan));
  }
}

async function destroyPlan(plan: Plan): Promise<void> {
  await plan.pipeline.destroy();
  for (const k of plan.kernels) k.destroy?.();
}
