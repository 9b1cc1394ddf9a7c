/**
 * Compiled scan plans, cached by shape. A plan is one gpu.js kernel (the pass of `scan-kernel.ts`) and
 * one `createPipeline` plan that chains its ⌈log₂ T⌉ passes with the intermediates kept in device memory
 * (WebGPU storage buffers, or one shared wasm memory on webasm) and a single readback at the end.
 */
import type { GPU, IPipelineRunShortcut } from 'gpu.js';
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
  readonly kernel: { destroy?: (removeCanvasReferences?: boolean) => void };
  readonly pipeline: IPipelineRunShortcut;
}

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
  ): Promise<{ result: ArrayLike<number>; execution: PlanExecution }> {
    const plan = this.#plan(count, length, k);
    const result = (await plan.pipeline(packed)) as ArrayLike<number>;
    return {
      result,
      execution: {
        executorKind: plan.pipeline.executorKind,
        backend: plan.pipeline.backend,
        fallbackReason: plan.pipeline.fallbackReason,
      },
    };
  }

  #plan(count: number, length: number, k: number): Plan {
    const key = `${count}|${length}|${k}`;
    const hit = this.#plans.get(key);
    if (hit) {
      // Refresh its place in the LRU order.
      this.#plans.delete(key);
      this.#plans.set(key, hit);
      return hit;
    }
    const S = k * k + k;
    const kernel = this.#gpu.createKernel(SCAN_PASS_SOURCE as never, {
      output: [count * length * S],
      constants: { k, S, T: length },
      tactic: 'precision',
    });
    const distances = passDistances(length);
    const pipeline = this.#gpu.createPipeline((e: unknown) => {
      let h = e;
      for (const d of distances) h = (kernel as unknown as (x: unknown, d: number) => unknown)(h, d);
      return h as never;
    });
    const plan: Plan = { kernel: kernel as unknown as Plan['kernel'], pipeline };
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
  plan.kernel.destroy?.();
}
