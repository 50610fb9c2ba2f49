/**
 * Child process for the crash-recovery test: writes fixture episodes forever. After each complete
 * episode it prints `complete <index>`; halfway through the next one it flushes and prints
 * `partial <index>`, then sleeps (from episode 2 on, until killed), so a `kill -9` lands mid-episode
 * with part of it on disk.
 * Usage: node --import tsx test/episodes/crash-writer.ts <file.mcap>
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { EpisodeWriter } from '../../src/episodes/writer.js';
import { fakeSnapshot, lengthOf, sceneFor, startFor, stepFor, successOf } from './fixtures.js';

const file = process.argv[2];
const w = await EpisodeWriter.open(file, { chunkSize: 512 });
for (let index = 0; ; index++) {
  w.startEpisode(startFor(index), fakeSnapshot(index), sceneFor(index, 0));
  const n = lengthOf(index);
  for (let t = 0; t < n; t++) {
    w.writeStep(stepFor(index, t), () => sceneFor(index, t + 1));
    if (t === Math.floor(n / 2)) {
      await w.flush();
      process.stdout.write(`partial ${index}\n`);
      // From episode 2 on the parent kills us here: wait for it (a minute at most, so that a child
      // whose parent died does not linger), however long it takes the parent to read the line.
      await sleep(index >= 2 ? 60_000 : 10);
    }
  }
  await w.endEpisode({ success: successOf(index) });
  process.stdout.write(`complete ${index}\n`);
  await sleep(10);
}
