/** The command table: each command lives in its own file and registers itself here. */
import type { Command } from 'commander';
import { registerCollect } from './collect.js';
import { registerEpisodes } from './episodes.js';
import { registerReplay } from './replay.js';
import { registerAdr } from './adr.js';
import { registerDemo } from './demo.js';

export function registerCommands(program: Command): void {
  registerCollect(program);
  registerEpisodes(program);
  registerReplay(program);
  registerAdr(program);
  registerDemo(program);
}
