/**
 * Source rewriting for {@link gpuCell}: a user's `function (h, x, i) { … }` reads the previous state as
 * `h[j]` and the input as `x[j]` and returns component i. gpu.js cannot pass array slices (or arrays at
 * all, on webgpu and webasm) to helper functions, so the body is rewritten into the kernel itself:
 * every `h[e]` becomes a read at an explicit offset, `h[base + (e)]`. The same rewrite yields the
 * allocation-free CPU function `(h, ho, x, xo, i)` of the Cell, so both run the same source.
 */
import { AntlerError } from '@antler/core';

/** The parameter names and the body (as statements) of a cell function. */
export interface ParsedCellFunction {
  readonly state: string;
  readonly input: string;
  readonly index: string;
  /** The column index j of a dense Jacobian function `(h, x, i, j)`. */
  readonly column: string;
  /** The body as statements (an expression body becomes `return (…);`). */
  readonly body: string;
}

/** A cell function whose source cannot be compiled (wrong parameters, unsupported use of h or x). */
export class GpuCellSourceError extends AntlerError {
  /** Which function: `'step'`, `'diagonal'` or `'jacobian'`. */
  readonly argument: string;
  constructor(argument: string, message: string) {
    super('GPU_CELL_SOURCE', `${argument}: ${message}`);
    this.argument = argument;
  }
}

function matching(src: string, open: number, o: string, c: string): number {
  let depth = 0;
  for (let p = open; p < src.length; p++) {
    if (src[p] === o) depth++;
    else if (src[p] === c && --depth === 0) return p;
  }
  return -1;
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

/**
 * Splits `function name(h, x, i) { … }`, `(h, x, i) => …` or a method `step(h, x, i) { … }` into its
 * parameter names and body.
 */
export function parseCellFunction(argument: string, fn: unknown, arity: 3 | 4 = 3): ParsedCellFunction {
  const signature = arity === 3 ? '(h, x, i)' : '(h, x, i, j)';
  if (typeof fn !== 'function') {
    throw new GpuCellSourceError(
      argument,
      `expected a function ${signature} returning a number, got ${typeof fn}`,
    );
  }
  const src = Function.prototype.toString.call(fn);
  const open = src.indexOf('(');
  const close = open < 0 ? -1 : matching(src, open, '(', ')');
  if (close < 0) throw new GpuCellSourceError(argument, 'cannot find the parameter list');
  const params = src
    .slice(open + 1, close)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (params.length > arity || !params.every((p) => IDENT.test(p))) {
    throw new GpuCellSourceError(
      argument,
      `expected up to ${arity === 3 ? 'three' : 'four'} plain parameters ${signature}, got (${params.join(', ')})`,
    );
  }
  // Trailing parameters may be left out (a constant diagonal `() => 0.9`); unused names stand in.
  const names = [
    params[0] ?? 'gcNoState',
    params[1] ?? 'gcNoInput',
    params[2] ?? 'gcNoIndex',
    params[3] ?? 'gcNoColumn',
  ];
  let rest = src.slice(close + 1).trim();
  if (rest.startsWith('=>')) rest = rest.slice(2).trim();
  let body: string;
  if (rest.startsWith('{')) {
    const end = matching(rest, 0, '{', '}');
    if (end < 0) throw new GpuCellSourceError(argument, 'unbalanced braces');
    body = rest.slice(1, end);
  } else {
    body = `return (${rest});`;
  }
  if (/\bthis\s*\.\s*thread\b/.test(body)) {
    throw new GpuCellSourceError(argument, 'this.thread is not available in a cell function; use i');
  }
  return { state: names[0], input: names[1], index: names[2], column: names[3], body };
}

/**
 * Rewrites every `name[e]` of `body` into `target[base + (e)]`; any other use of `name` (passing the
 * array on, `name.length`, assignment to it) is refused, because the GPU kernel has no such array.
 */
export function rewriteIndexedReads(
  argument: string,
  body: string,
  name: string,
  target: string,
  base: string,
): string {
  const find = new RegExp(`(?<![\\w$.])${name.replace(/\$/g, '\\$')}\\s*\\[`, 'g');
  let out = '';
  let from = 0;
  for (let m = find.exec(body); m !== null; m = find.exec(body)) {
    const open = m.index + m[0].length - 1;
    const close = matching(body, open, '[', ']');
    if (close < 0) throw new GpuCellSourceError(argument, `unbalanced brackets after ${name}[`);
    // Nested reads (h[h[0]]) are rewritten recursively.
    const inner = rewriteIndexedReads(argument, body.slice(open + 1, close), name, target, base);
    out += `${body.slice(from, m.index)}${target}[${base} + (${inner})]`;
    from = close + 1;
    find.lastIndex = close + 1;
  }
  out += body.slice(from);
  const stray = new RegExp(`(?<![\\w$.])${name.replace(/\$/g, '\\$')}(?![\\w$])`);
  if (stray.test(out)) {
    throw new GpuCellSourceError(
      argument,
      `'${name}' may only be read by indexing (${name}[j]); other uses cannot be compiled to a GPU kernel`,
    );
  }
  return out;
}
