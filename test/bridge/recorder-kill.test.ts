/**
 * A server killed with SIGKILL mid-episode (a child process recording through a real
 * RecorderThread): the episode in progress is kept as incomplete — its start and its steps up to
 * the recorder's last flush (every ~0.5 s) — next to the complete one, in a file without footer.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEpisodeFile } from '../../src/episodes/reader.js';
import { obsAt } from './recorder-fixture.js';

const child = fileURLToPath(new URL('./recorder-kill-child.ts', import.meta.url));
/**
 * What may be lost: the flush interval (0.5 s) plus a drain, with room for a machine so busy that
 * the recorder thread's timers run seconds late.
 */
const LOSS_BOUND_MS = 3000;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sim2real-kill-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a recording server killed with SIGKILL', () => {
  it('keeps the episode in flight as incomplete, with its steps up to about 0.5 s before the kill', async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      proc.on('exit', (code, signal) => resolve(signal ?? code)),
    );
    const sentAt: number[] = [];
    let killedAt = 0;
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: proc.stdout }).on('line', (line) => {
        const [what, k, ms] = line.split(' ');
        if (what !== 'sent' || killedAt) return;
        sentAt[Number(k)] = Number(ms);
        // Kill mid-stream, well past LOSS_BOUND_MS of steps (steps 20+ come every 50 ms: 4 s and more).
        if (Number(k) >= 100) {
          killedAt = Date.now();
          proc.kill('SIGKILL');
          resolve();
        }
      });
      proc.on('exit', () => reject(new Error(`recorder child exited before being killed: ${stderr}`)));
    });
    expect(await exited).toBe('SIGKILL');

    const names = await readdir(dir);
    expect(names).toEqual([expect.stringMatching(/^served-.*\.mcap$/)]);
    const f = await readEpisodeFile(join(dir, names[0]));
    expect(f.indexed).toBe(false);
    expect(f.tail).toMatch(/no footer/);
    const [done, inFlight] = f.episodes;
    expect(f.episodes).toHaveLength(2);
    expect(done.end).toMatchObject({ index: 0, success: true, length: 5 });
    expect(done.steps).toHaveLength(5);
    expect(inFlight.end).toBeUndefined();
    expect(inFlight.start).toMatchObject({
      index: 1,
      source: 'real',
      seed: 6,
      randomization: { robot_id: 'doomed', robotEpisode: 1, session: 'session-1' },
    });
    // Its steps as sent, in order, from the first, without a gap.
    inFlight.steps.forEach((s, k) => {
      expect(s.step).toBe(k);
      expect(Array.from(s.obs)).toEqual(Array.from(obsAt(1, k)));
    });
    const oldEnough = sentAt.filter((ms) => ms <= killedAt - LOSS_BOUND_MS).length;
    expect(oldEnough).toBeGreaterThan(20);
    expect(inFlight.steps.length).toBeGreaterThanOrEqual(oldEnough - 1); // the last step sent waits for its outcome
    expect(inFlight.steps.length).toBeLessThan(sentAt.length);
  });
});
