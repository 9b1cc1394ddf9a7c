/** `antler train` — placeholder until its owner lands it (tracked in the train issue). */
import type { Command } from 'commander';

/** Registers `antler train`. */
export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('(not available yet in this build)')
    .allowUnknownOption()
    .action(() => {
      console.error('antler train: not available yet in this build');
      process.exitCode = 2;
    });
}
