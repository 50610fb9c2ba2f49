/**
 * Child process for the kill -9 test: records like a policy server does, through a real
 * RecorderThread: one complete episode, then an episode streamed until the parent kills the
 * process. Prints `sent <step> <ms since epoch>` after handing each step of episode 1 over.
 * Usage: node --import tsx test/bridge/recorder-kill-child.ts <dir>
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RecorderThread } from '../../src/bridge/recorder-thread.js';
import { actionFor, contract, obsAt } from './recorder-fixture.js';

const rt = new RecorderThread(process.argv[2], contract, (line) => process.stderr.write(`${line}\n`));
const rec = rt.open({ robotId: 'doomed', session: 'session-1', scenario: 'kill-test', contract, controlHz: 20 });
const now = () => Date.now() / 1000;

function step(episode: number, k: number): void {
  const obs = obsAt(episode, k);
  rec.step(
    {
      episode,
      step: k,
      time: now(),
      receivedAt: now(),
      obs,
      ...(k > 0 ? { reward: 1, terminated: false, truncated: false } : {}),
    },
    actionFor(obs),
    0.2,
  );
}

rec.startEpisode({ type: 'episode_start', seq: 1, time: now(), episode: 0, seed: 5 }, 'kill-policy', now());
for (let k = 0; k < 5; k++) step(0, k);
rec.endEpisode(
  {
    type: 'episode_end',
    seq: 2,
    time: now(),
    episode: 0,
    success: true,
    terminated: true,
    truncated: false,
    reward: 1,
  },
  now(),
);

rec.startEpisode({ type: 'episode_start', seq: 3, time: now(), episode: 1, seed: 6 }, 'kill-policy', now());
for (let k = 0; ; k++) {
  step(1, k);
  process.stdout.write(`sent ${k} ${Date.now()}\n`);
  await sleep(k < 20 ? 10 : 50);
}
