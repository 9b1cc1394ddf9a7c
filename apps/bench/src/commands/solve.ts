/** `antler solve` — placeholder until its owner lands it (tracked in the solve issue). */
import type { Command } from 'commander';

/** Registers `antler solve`. */
export function registerSolveCommand(program: Command): void {
  program
    .command('solve')
    .description('(not available yet in this build)')
    .allowUnknownOption()
    .action(() => {
      console.error('antler solve: not available yet in this build');
      process.exitCode = 2;
    });
}
