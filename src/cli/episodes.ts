import type { Command } from 'commander';

export function registerEpisodes(program: Command): void {
  program.command('episodes').description('work with episode files (MCAP)');
}
