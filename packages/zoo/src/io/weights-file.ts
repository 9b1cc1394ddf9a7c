/** Weight files by extension: a JSON state dict or `.safetensors`, parsed into named tensors. */
import type { WeightsLike } from '../parameters.js';
import { FormatError } from './format-error.js';
import { decodeSafetensors } from './safetensors.js';

/**
 * Parses weight-file bytes by `fileName`'s extension: `.safetensors` (F64/F32/F16/BF16) or `.json`
 * (an object of PyTorch-named tensors, each a nested array or `{ shape, data }`; a top-level
 * `state_dict` object is unwrapped). The result goes straight into `cellFromWeights`.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { cellFromWeights, parseWeights } from '@antler/zoo';
 * // const cell = cellFromWeights('gru', parseWeights(readFileSync('gru.safetensors'), 'gru.safetensors'));
 * ```
 */
export function parseWeights(bytes: Uint8Array, fileName: string): WeightsLike {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.safetensors')) return decodeSafetensors(bytes, fileName).tensors;
  if (lower.endsWith('.json')) {
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new FormatError(fileName, `not valid JSON (${(e as Error).message})`);
    }
    if (value && typeof value === 'object' && !Array.isArray(value) && 'state_dict' in value) {
      value = (value as { state_dict: unknown }).state_dict;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      throw new FormatError(fileName, 'expected a JSON object of named tensors');
    }
    return value as WeightsLike;
  }
  throw new FormatError(fileName, 'unknown weights extension: use .json or .safetensors');
}

/** Reads and parses a weights file from disk (Node only; see {@link parseWeights}). */
export async function readWeightsFile(path: string): Promise<WeightsLike> {
  const { readFile } = await import('node:fs/promises');
  const buf = await readFile(path);
  return parseWeights(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}
