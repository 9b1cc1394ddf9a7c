/** Which gpu.js modes run on this machine, probed once per test file (tests over a mode skip with the reason). */
import { type GpuJsMode, type ModeProbe, probeGpuJsModes } from '../src/index.js';

/** The modes the tests exercise: the WebGPU one, the native GL one, and the two CPU ones. */
export const TEST_MODES: readonly GpuJsMode[] = ['webgpu', 'headlessgl', 'webasm', 'cpu'];

/** Probe results of {@link TEST_MODES}. */
export const probes: readonly ModeProbe[] = await probeGpuJsModes(TEST_MODES);
