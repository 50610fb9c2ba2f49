/** End to end through the built CLI: collect → inspect → replay --check, and bad input. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sim2real } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sim2real-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(['scenarios/navigate-obstacles.yaml', 'scenarios/grasp-cube.yaml'])('sim2real CLI on %s', (scenario) => {
  const out = join(dir, scenario.replace(/\W/g, '_'));

  it('collects expert episodes on 2 workers, inspects them and replays one exactly', async () => {
    const c = await sim2real([
      'collect',
      scenario,
      '--episodes',
      '4',
      '--workers',
      '2',
      '--randomize',
      '--expert-noise',
      '0.05',
      '--out',
      out,
      '--json',
    ]);
    expect(c.stderr).toBe('');
    expect(c.code).toBe(0);
    const rep = JSON.parse(c.stdout);
    expect(rep.episodes).toBe(4);
    expect(rep.files).toHaveLength(2);
    expect(rep.successCi95[0]).toBeLessThanOrEqual(rep.successRate);

    const i = await sim2real(['episodes', 'inspect', out, '--json']);
    expect(i.code).toBe(0);
    const ins = JSON.parse(i.stdout);
    expect(ins.episodes).toBe(4);
    expect(ins.successRate).toBeCloseTo(rep.successRate, 10);
    expect(ins.meanLength).toBeCloseTo(rep.meanLength, 6);

    const file = join(
      out,
      readdirSync(out)
        .filter((f) => f.endsWith('.mcap'))
        .sort()[0],
    );
    const r = await sim2real(['replay', file, '--episode', '0', '--check', '--json']);
    expect(r.stderr).toBe('');
    const chk = JSON.parse(r.stdout);
    expect(chk.steps).toBeGreaterThan(5);
    expect(chk.maxAbsDiff).toBe(0);
    expect(r.code).toBe(0);
  });

  it('refuses to overwrite collected episodes', async () => {
    const c = await sim2real(['collect', scenario, '--episodes', '2', '--workers', '2', '--out', out]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/^sim2real: error: .*\.mcap: expected a new file, got an existing one/);
  });
});

describe('bad input', () => {
  it('a bad scenario file gives file:field: expected X, got Y and exit 2', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'task: grasp\nname: x\ncontrol: {rate_hz: fast, substeps: 2}\n');
    const r = await sim2real(['collect', bad, '--episodes', '1', '--out', join(dir, 'never')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad\.yaml:control\.rate_hz: expected number, got "fast"/);
  });

  it('a bad option value exits 2 with one line', async () => {
    const r = await sim2real([
      'collect',
      'scenarios/grasp-cube.yaml',
      '--episodes',
      'many',
      '--out',
      join(dir, 'never'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--episodes.*expected a positive integer, got "many"/);
  });

  it('a missing episode file exits 2', async () => {
    const r = await sim2real(['replay', join(dir, 'nope.mcap'), '--check']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
