/**
 * A killed `sim2real demo` resumes: the run is killed (SIGKILL) during pretraining, refused as
 * a new run, then continued with --resume: the finished stage is kept, pretraining continues from
 * its checkpoint (every epoch logged once), and the demo completes with its report.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sim2real, spawnSim2real } from '../cli/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sim2real-demo-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(cond: () => boolean, what: string, ms = 300_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('sim2real demo --resume', () => {
  it('continues a demo killed during pretraining and finishes it', { timeout: 900_000 }, async () => {
    const out = join(dir, 'demo');
    const child = spawnSim2real(['demo', '--quick', '--out', out]);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    // Killed once pretraining has checkpointed an epoch: the collect stage is finished and logged.
    await until(
      () => existsSync(join(out, 'pretrain', 'checkpoints', 'latest', 'policy.json')) || child.exitCode !== null,
      'a pretraining checkpoint',
    );
    child.kill('SIGKILL');
    await exited;
    expect(existsSync(join(out, 'demo.json')), stderr.slice(-2000)).toBe(false);
    const log = JSON.parse(readFileSync(join(out, 'demo-stages.json'), 'utf8')) as { done: Record<string, unknown> };
    expect(Object.keys(log.done)).toEqual(['collect']);

    const again = await sim2real(['demo', '--quick', '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/got an unfinished demo \(use --resume to continue it, or another --out\)/);

    const r = await sim2real(['demo', '--quick', '--out', out, '--resume'], { timeoutMs: 600_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toMatch(/collect expert demonstrations \(randomized sim\): done before the resume/);
    expect(r.stdout).toMatch(/Transfer on grasp-cube/);
    const demo = JSON.parse(readFileSync(join(out, 'demo.json'), 'utf8')) as {
      stages: unknown[];
      simExpert: { episodes: number };
    };
    expect(demo.stages).toHaveLength(7);
    expect(demo.simExpert.episodes).toBe(100);
    const epochs = readFileSync(join(out, 'pretrain', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { epoch: number; final?: boolean })
      .filter((m) => !m.final)
      .map((m) => m.epoch);
    expect(epochs).toEqual(epochs.map((_, i) => i + 1));
  });
});
