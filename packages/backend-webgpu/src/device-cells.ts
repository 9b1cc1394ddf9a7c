/** Which zoo cells run fused on the GPU: the registry of {@link DeviceCellKernel} packers. */
import type { Cell } from '@antler/core';
import type { DeviceCellKernel } from './device-cell-kernel.js';
import { packElman } from './elman-kernel.js';
import { packGru } from './gru-kernel.js';
import { packLstm } from './lstm-kernel.js';
import { packMinRnn } from './min-rnn-kernels.js';
import { packParaGru, packParaLstm } from './para-rnn-kernels.js';

/** Zoo kinds with a GPU kernel. */
export const DEVICE_CELL_KINDS: readonly string[] = [
  'gru',
  'elman',
  'lstm',
  'para-gru',
  'para-lstm',
  'mingru',
  'minlstm',
];

const PACKERS: readonly ((cell: Cell) => DeviceCellKernel | null)[] = [
  packGru,
  packElman,
  packLstm,
  packParaGru,
  packParaLstm,
  packMinRnn,
];

/**
 * The GPU kernel of a zoo cell ({@link DEVICE_CELL_KINDS}), or null when the cell's kind, parameters or
 * configuration are not one the GPU knows (the caller then runs the CPU solver).
 *
 * @example
 * ```ts
 * import { packDeviceCell } from '@antler/backend-webgpu';
 * import { createLstm } from '@antler/zoo';
 * const k = packDeviceCell(createLstm({ hiddenSize: 4, inputSize: 2, seed: 0 }));
 * console.log(k?.kind, k?.n, k?.width); // lstm 8 16
 * ```
 */
export function packDeviceCell(cell: Cell): DeviceCellKernel | null {
  for (const pack of PACKERS) {
    const k = pack(cell);
    if (k) return k;
  }
  return null;
}
