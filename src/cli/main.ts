#!/usr/bin/env node
/** The `sim2real` command line: one file per command, wired here. */
import { Command, CommanderError } from 'commander';
import { reportError } from '../ui/report-error.js';
import { registerCommands } from './commands.js';

const program = new Command();
program
  .name('sim2real')
  .description('Take a robot policy from a Rapier simulation to real hardware.')
  .option('--verbose', 'print stack traces on errors')
  .exitOverride();
program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Help and version exit with 0; usage errors are bad input.
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportError(e, program.opts().verbose === true || process.argv.includes('--verbose'));
  }
}
