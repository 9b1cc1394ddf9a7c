/** Browser stand-in for `node:fs/promises` (weight files are read from disk only in Node). */

/** Throws: there is no file system in the browser. */
export async function readFile(): Promise<never> {
  throw new Error(
    'node:fs/promises is not available in the browser; pass weights as objects instead of file paths',
  );
}

export default { readFile };
