/**
 * A killed `sim2real demo` resumes: the run is killed (SIGKILL) during pretraining, refused as a
 * new run, continued with --resume and killed again while the nominal-only baseline pretrains,
 * then continued to the end. Finished stages are kept (the baseline's collection among them), each
 * pretraining continues from its checkpoint (every epoch logged once), and the demo completes
 * with its report.
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

/** Start the demo, kill it (SIGKILL) once `checkpoint` exists under `out`; returns its stderr. */
async function killedAt(out: string, checkpoint: string, resume: boolean): Promise<string> {
  const child = spawnSim2real(['demo', '--quick', '--out', out, ...(resume ? ['--resume'] : [])]);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  await until(() => existsSync(join(out, checkpoint)) || child.exitCode !== null, checkpoint);
  child.kill('SIGKILL');
  await exited;
  expect(existsSync(join(out, 'demo.json')), stderr.slice(-2000)).toBe(false);
  return stderr;
}

const finished = (out: string) =>
  Object.keys((JSON.parse(readFileSync(join(out, 'demo-stages.json'), 'utf8')) as { done: object }).done);

/** The epochs a BC run logged, in order (a resumed run must log each once). */
const epochs = (run: string) =>
  readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { epoch: number; final?: boolean })
    .filter((m) => !m.final)
    .map((m) => m.epoch);

describe('sim2real demo --resume', () => {
  it('continues a demo killed in each pretraining and finishes it', { timeout: 900_000 }, async () => {
    const out = join(dir, 'demo');
    // Killed once pretraining has checkpointed an epoch: the collect stage is finished and logged.
    await killedAt(out, join('pretrain', 'checkpoints', 'latest', 'policy.json'), false);
    expect(finished(out)).toEqual(['collect']);

    const again = await sim2real(['demo', '--quick', '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/got an unfinished demo \(use --resume to continue it, or another --out\)/);

    // Resumed, then killed while the nominal-only baseline pretrains.
    const second = await killedAt(out, join('pretrain-nominal', 'checkpoints', 'latest', 'policy.json'), true);
    expect(second).toMatch(/collect expert demonstrations \(randomized sim\): done before the resume/);
    expect(finished(out)).toEqual(['collect', 'pretrain', 'collectNominal']);

    const r = await sim2real(['demo', '--quick', '--out', out, '--resume'], { timeoutMs: 600_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    for (const stage of [
      /collect expert demonstrations \(randomized sim\): done before the resume/,
      /pretrain: behaviour cloning: done before the resume/,
      /collect expert demonstrations \(nominal sim, for the nominal-only baseline\): done before the resume/,
    ])
      expect(r.stderr).toMatch(stage);
    expect(r.stdout).toMatch(/Transfer on grasp-cube/);
    expect(r.stdout).toMatch(/\(a\) nominal-only: BC on nominal-sim demos\s+emulated robot/);
    const demo = JSON.parse(readFileSync(join(out, 'demo.json'), 'utf8')) as {
      stages: unknown[];
      simExpert: { episodes: number };
      baseline: { simExpert: { episodes: number } };
    };
    expect(demo.stages).toHaveLength(12);
    expect(finished(out)).toContain('pretrainNominal');
    expect(demo.simExpert.episodes).toBe(100);
    expect(demo.baseline.simExpert.episodes).toBe(100);
    for (const run of ['pretrain', 'pretrain-nominal']) {
      const e = epochs(join(out, run));
      expect(e, run).toEqual(e.map((_, i) => i + 1));
    }
  });
});
