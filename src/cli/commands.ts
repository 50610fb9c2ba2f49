/** The command table: each command lives in its own file and registers itself here. */
import type { Command } from 'commander';
import { registerEpisodes } from './episodes.js';

export function registerCommands(program: Command): void {
  registerEpisodes(program);
}
