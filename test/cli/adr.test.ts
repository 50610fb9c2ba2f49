/** `sim2real adr`: ranges open while the expert succeeds; state saved after every episode and resumable. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { sim2real } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sim2real-adr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sim2real adr', () => {
  it('widens ranges with a succeeding expert, saves the state and resumes from it', async () => {
    const sc = parse(readFileSync('scenarios/navigate-obstacles.yaml', 'utf8'));
    sc.randomization = { friction: [0.7, 1.3], action_latency: [0, 1] };
    sc.adr = { buffer: 2, step: 0.25, boundary_prob: 1, threshold_high: 0.5 };
    const file = join(dir, 'nav.yaml');
    writeFileSync(file, stringify(sc));
    const state = join(dir, 'adr.json');
    const a = await sim2real(['adr', file, '--episodes', '24', '--state', state, '--json']);
    expect(a.stderr).toBe('');
    const rep = JSON.parse(a.stdout);
    expect(rep.episodes).toBe(24);
    expect(rep.totalEpisodes).toBe(24);
    expect(rep.successCi95[0]).toBeLessThanOrEqual(rep.successRate);
    expect(rep.successCi95[1]).toBeGreaterThanOrEqual(rep.successRate);
    expect(rep.meanLength).toBeGreaterThan(0);
    expect(rep.boundaryMoves).toBeGreaterThan(0);
    expect(rep.params.friction.open).toBeGreaterThan(0);
    const saved = JSON.parse(readFileSync(state, 'utf8'));
    expect(saved.episodes).toBe(24);
    const b = await sim2real(['adr', file, '--episodes', '8', '--state', state, '--resume', '--json']);
    // Success figures are this run's (8 episodes); the state counts all 32.
    expect(JSON.parse(b.stdout).episodes).toBe(8);
    expect(JSON.parse(b.stdout).totalEpisodes).toBe(32);
    expect(JSON.parse(b.stdout).params.friction.open).toBeGreaterThanOrEqual(rep.params.friction.open);
  });

  it('refuses a scenario without randomization ranges (exit 2)', async () => {
    const sc = parse(readFileSync('scenarios/navigate-obstacles.yaml', 'utf8'));
    delete sc.randomization;
    const file = join(dir, 'plain.yaml');
    writeFileSync(file, stringify(sc));
    const r = await sim2real(['adr', file, '--state', join(dir, 'x.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/plain\.yaml:randomization: expected at least one range/);
  });
});
