/**
 * Picks up the WebGPU scan backend of @antler/backend-webgpu when the browser has WebGPU (`navigator.gpu`
 * with an adapter). Returns null otherwise, and the page runs on the CPU backend.
 */
import type { ScanBackend } from '@antler/core';
import { createWebGpuBackend } from '@antler/backend-webgpu';

/** The WebGPU backend (float32), or null when the browser has no usable adapter. */
export async function createWebGpuScanBackend(): Promise<ScanBackend | null> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU })?.gpu;
  if (!gpu) return null;
  try {
    return await createWebGpuBackend({ gpu });
  } catch {
    // BackendUnavailableError: WebGPU exists but no adapter or device (e.g. blocklisted GPU).
    return null;
  }
}
