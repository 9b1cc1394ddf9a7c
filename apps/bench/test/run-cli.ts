import { vi } from 'vitest';
import { main } from '../src/program.js';

/** Runs `antler <args…>` in-process; returns the exit code and the lines written to stderr. */
export async function runCli(args: string[]): Promise<{ code: number; stderr: string[] }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => {
    lines.push(a.map(String).join(' '));
  });
  process.exitCode = 0;
  try {
    await main(['node', 'antler', ...args]);
  } finally {
    spy.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, stderr: lines };
}
