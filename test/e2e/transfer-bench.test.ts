/** The transfer benchmark on a tiny budget: every variant trained and evaluated, the goals computed, profiles validated. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveRuns, runTransfer, type TransferConfig } from '../../src/pipelines/transfer/transfer.js';
import { goals, type TransferRow } from '../../src/pipelines/transfer/rows.js';
import { readEpisodes } from '../../src/episodes/reader.js';
import type { RunResult } from '../cli/helpers.js';

const BENCH = fileURLToPath(new URL('../../dist/bench/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sim2real-transfer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bench(args: string[]): Promise<RunResult> {
  if (!existsSync(BENCH)) throw new Error(`${BENCH} is missing: run \`npm run build\` (npm test does it)`);
  return new Promise((resolve) => {
    execFile(process.execPath, [BENCH, ...args], { timeout: 600_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('transfer benchmark', () => {
  it('trains and evaluates (a)-(e) for every N on the same seeded robot episodes, pooling draws of real episodes', async () => {
    const out = join(dir, 'run');
    const config: TransferConfig = {
      scenarios: ['scenarios/grasp-cube.yaml'],
      recipe: { simDemos: 6, epochs: 2 },
      epochs: 2,
      sizes: [3, 2],
      draws: 2,
      episodes: 3,
      out,
    };
    const [r] = await runTransfer(config);
    expect(r.scenario).toBe('grasp-cube');
    expect(r.realityFile).toBe('scenarios/reality/grasp-cube.yaml');
    const key = (x: TransferRow) => `${x.variant}:${x.where}:${x.realEpisodes}`;
    expect(r.rows.map(key)).toEqual([
      'a:nominal sim:null',
      'a:robot:null',
      'b:nominal sim:null',
      'b:robot:null',
      'recording:robot:3',
      'c:robot:2',
      'd:robot:2',
      'e:robot:2',
      'c:robot:3',
      'd:robot:3',
      'e:robot:3',
    ]);
    for (const x of r.rows) {
      const pooled = x.realEpisodes !== null;
      expect(x.episodes, key(x)).toBe(pooled ? 6 : 3);
      expect(x.perDraw?.length ?? null, key(x)).toBe(pooled ? 2 : null);
      if (pooled) expect(x.successRate).toBeCloseTo((x.perDraw![0] + x.perDraw![1]) / 2, 12);
      // (wilson() rounds its upper end at a rate of 1 to 1 − 1e-16)
      expect(x.successCi95![0]).toBeLessThanOrEqual(x.successRate! + 1e-12);
      expect(x.successCi95![1]).toBeGreaterThanOrEqual(x.successRate! - 1e-12);
    }
    // The expert drives the recorded episodes and succeeds on the shipped profile.
    expect(r.rows.find((x) => x.variant === 'recording')!.successRate).toBe(1);
    const draws = await Promise.all([0, 1].map((k) => readEpisodes(join(out, 'grasp-cube', `real-${k}`))));
    for (const real of draws) {
      expect(real.episodes).toHaveLength(3);
      expect(real.episodes.every((e) => e.start.source === 'real' && e.steps.every((s) => s.expertAction))).toBe(true);
    }
    // Each draw is another recording (other seeds).
    expect(draws[0].episodes[0].start.seed).not.toBe(draws[1].episodes[0].start.seed);
    expect(existsSync(join(out, 'grasp-cube', 'pretrain-b', 'policy', 'policy.json'))).toBe(true);
    // No N = 20 row: those goals are not measured, the others are.
    expect(r.goals.map((g) => g.met === null)).toEqual([false, false, true, true]);

    // The stage log: the same run is refused as a new one; resumed, the finished stages are kept and
    // only a stage the log lost is run again.
    await expect(runTransfer(config)).rejects.toThrow(/got a transfer run in it \(use --resume/);
    const logFile = join(out, 'grasp-cube', 'transfer-stages.json');
    const log = JSON.parse(readFileSync(logFile, 'utf8')) as { done: Record<string, unknown> };
    expect(Object.keys(log.done)).toContain('draw 1 N 3');
    delete log.done['draw 1 N 3'];
    writeFileSync(logFile, JSON.stringify(log));
    const [again] = await runTransfer(config, { resume: true });
    expect(again.rows.map(key)).toEqual(r.rows.map(key));
    const same = (x: TransferRow) => x.realEpisodes !== 3 || x.variant === 'recording';
    expect(again.rows.filter(same)).toEqual(r.rows.filter(same));
  });

  it('checks the goals against the rows', () => {
    const row = (
      variant: TransferRow['variant'],
      where: TransferRow['where'],
      successRate: number,
      realEpisodes: number | null = null,
    ): TransferRow => ({
      variant,
      where,
      successRate,
      realEpisodes,
      what: '',
      episodes: 100,
      successCi95: [0, 1],
      meanReturn: 0,
      meanLength: 0,
      perDraw: null,
      seconds: 0,
    });
    const g = goals([
      row('a', 'nominal sim', 0.95),
      row('a', 'robot', 0.7),
      row('b', 'robot', 0.89),
      row('c', 'robot', 0.9, 20),
      row('d', 'robot', 0.61, 20),
    ]);
    expect(g.map((x) => x.met)).toEqual([true, false, true, false]);
    expect(g[0].value).toBeCloseTo(0.25, 12);
    expect(g[3].value).toBeCloseTo(0.29, 12);
  });

  it('takes any reality profile, picks its scenario, and refuses a mismatch or a bad file in one line', async () => {
    const custom = join(dir, 'slippery.yaml');
    writeFileSync(
      custom,
      'name: slippery\nscenario: navigate-obstacles\ngap: {friction: 0.3, action_latency: [1, 2]}\n',
    );
    const [run] = resolveRuns({ reality: custom });
    expect(run.sc.name).toBe('navigate-obstacles');
    expect(run.reality.name).toBe('slippery');

    const mismatch = await bench(['transfer', '--scenario', 'scenarios/grasp-cube.yaml', '--reality', custom]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(
      /^sim2real: error: .*slippery\.yaml:scenario: expected "grasp-cube" \(the scenario of scenarios\/grasp-cube\.yaml\), got "navigate-obstacles"\n$/,
    );

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: bad\nscenario: grasp-cube\ngap: {friction: slippery}\n');
    const r = await bench(['transfer', '--reality', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad\.yaml:gap\.friction: expected/);
  });
});
