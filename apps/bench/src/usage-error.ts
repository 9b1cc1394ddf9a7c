/** Bad command-line input found after parsing (a missing file, an unknown suite): one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
