/** The typed error for malformed weight and array files. */
import { AntlerError } from '@antler/core';

/**
 * A file (`.safetensors`, `.npy`, JSON weights) is malformed or uses a feature Antler does not read.
 * `code` is `'FORMAT'`; `file` names the format or file, `reason` says what is wrong.
 */
export class FormatError extends AntlerError {
  /** The file or format that failed to parse. */
  readonly file: string;
  /** What is wrong, in words. */
  readonly reason: string;
  constructor(file: string, reason: string) {
    super('FORMAT', `${file}: ${reason}`);
    this.file = file;
    this.reason = reason;
  }
}
