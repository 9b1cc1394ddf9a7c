/** Compiled compute pipelines, cached per device and WGSL source (each kernel is generated per size). */
const cache = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/** The compute pipeline of `code` (entry point `main`, layout from the shader), compiled once per device. */
export function pipeline(device: GPUDevice, code: string): GPUComputePipeline {
  let m = cache.get(device);
  if (!m) {
    m = new Map();
    cache.set(device, m);
  }
  let p = m.get(code);
  if (!p) {
    p = device.createComputePipeline({
      layout: 'auto',
      compute: { module: device.createShaderModule({ code }), entryPoint: 'main' },
    });
    m.set(code, p);
  }
  return p;
}
