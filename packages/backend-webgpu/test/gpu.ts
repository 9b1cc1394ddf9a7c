/** Shared test setup: the WebGPU backend on Mesa llvmpipe (Dawn's OpenGL backend), or null with the reason. */
import { createWebGpuBackend, type WebGpuBackend } from '../src/index.js';

process.env.EGL_PLATFORM ??= 'surfaceless';

let cached: Promise<WebGpuBackend | string> | undefined;

/** The backend, or a string saying why there is none here. */
export function testBackend(): Promise<WebGpuBackend | string> {
  cached ??= createWebGpuBackend(
    process.env.ANTLER_WEBGPU_NATIVE
      ? {}
      : { dawnOptions: ['backend=opengl'], featureLevel: 'compatibility' },
  ).catch((e: Error) => `no WebGPU adapter: ${e.message}`);
  return cached;
}
