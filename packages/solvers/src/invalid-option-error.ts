/** The error thrown for a solver option that is out of range or of the wrong kind. */
import { AntlerError } from '@antler/core';

/** A solver option is invalid; `option` names it. */
export class InvalidOptionError extends AntlerError {
  /** The option's name (for example `'atol'`). */
  readonly option: string;
  constructor(option: string, expected: string, received: string) {
    super('INVALID_OPTION', `${option}: expected ${expected}, got ${received}`);
    this.option = option;
  }
}
