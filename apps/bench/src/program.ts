/**
 * The `antler` command-line tool: `demo` (the README's main job), `solve` (a model on files), `bench`
 * (benchmark suites) and `train` (a model trained through the fixed point).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { AntlerError } from '@antler/core';
import { registerBenchCommand } from './commands/bench.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerSolveCommand } from './commands/solve.js';
import { registerTrainCommand } from './commands/train.js';
import { UsageError } from './usage-error.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** Builds the program (exported for tests). */
export function createProgram(): Command {
  const program = new Command('antler')
    .description('Nonlinear sequence models evaluated and trained in parallel over the sequence length')
    .version(version, '-V, --version')
    .showHelpAfterError('(run with --help for usage)');
  registerDemoCommand(program);
  registerSolveCommand(program);
  registerBenchCommand(program);
  registerTrainCommand(program);
  return program;
}

/** Runs the CLI; bad input ends with one line on stderr and exit code 2, never a stack trace. */
export async function main(argv: string[]): Promise<void> {
  const program = createProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (err instanceof AntlerError || err instanceof UsageError) {
      console.error(`antler: ${(err as Error).message}`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}
