/**
 * `sim2real demo --quick` end to end, as the README's main command runs it: every stage must leave
 * its artefact (sim episodes, pretrained checkpoint, robot episodes and report, fine-tuned
 * checkpoint, report.html), and the numbers in demo.json must be consistent counts.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readEpisodes } from '../../src/episodes/reader.js';
import { sim2real } from '../cli/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sim2real-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mcaps = (d: string) => (existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.mcap')) : []);

describe('sim2real demo --quick', () => {
  it('runs every stage and leaves each artefact', async () => {
    const out = join(dir, 'demo');
    const r = await sim2real(['demo', '--quick', '--out', out], { timeoutMs: 1_100_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stdout).toMatch(/Transfer on grasp-cube/);
    expect(r.stdout).toMatch(/fine-tuned on 10 robot demos\s+emulated robot/);

    expect(mcaps(join(out, 'sim-demos')).length).toBeGreaterThan(0);
    expect(existsSync(join(out, 'pretrain', 'policy', 'policy.json'))).toBe(true);
    expect(existsSync(join(out, 'finetune', 'policy', 'policy.json'))).toBe(true);
    const real = await readEpisodes(join(out, 'real-demos'));
    expect(real.episodes).toHaveLength(10);
    expect(real.episodes.every((e) => e.start.source === 'real')).toBe(true);
    const demo = JSON.parse(readFileSync(join(out, 'demo.json'), 'utf8'));
    const served = await readEpisodes(join(out, 'robot-episodes'));
    expect(served.episodes).toHaveLength(100); // 50 zero-shot + 50 after the deploy
    expect(new Set(served.episodes.map((e) => e.start.policyId)).size).toBe(2);
    // Every served episode was recorded whole, the last one before the server closed included.
    expect(served.episodes.filter((e) => !e.end)).toHaveLength(0);
    expect(served.episodes.reduce((n, e) => n + e.steps.length, 0)).toBe(
      demo.robotZeroShot.steps + demo.robotFinetuned.steps,
    );

    expect(demo.robotZeroShot.episodes).toBe(50);
    expect(demo.robotFinetuned.episodes).toBe(50);
    expect(demo.robotFinetuned.policyVersions).toEqual([2]);
    for (const t of demo.transfer) {
      expect(t.successes).toBeLessThanOrEqual(t.episodes);
      expect(t.ci95[0]).toBeLessThanOrEqual(t.rate + 1e-9);
      expect(t.ci95[1]).toBeGreaterThanOrEqual(t.rate - 1e-9);
    }
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    for (const part of ['Transfer', 'Learning curve', 'latency', '<svg']) expect(html).toContain(part);
  });

  it('navigation: pretrains a delay-compensating policy, fine-tunes it to the delay it estimates on the robot, serves both', async () => {
    const out = join(dir, 'demo-nav');
    const r = await sim2real(['demo', '--quick', '--scenario', 'navigate', '--out', out], { timeoutMs: 1_100_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stdout).toMatch(/Transfer on navigate-obstacles/);
    const delayOf = (d: string) =>
      JSON.parse(readFileSync(join(out, d, 'policy', 'policy.json'), 'utf8')).delayCompensation;
    // Trained on randomized delays of 0-4 + 0-4 steps: it assumes about their mean until it meets the robot.
    expect(delayOf('pretrain').steps).toBeGreaterThanOrEqual(3);
    expect(delayOf('pretrain').steps).toBeLessThanOrEqual(5);
    // The shipped robot's loop delay is 7 steps; closed-loop expert demonstrations read 6-7.
    const m = `${r.stdout}${r.stderr}`.match(/robot loop delay estimated from the demonstrations: (\d+) control steps/);
    expect(m).not.toBeNull();
    expect(delayOf('finetune')).toEqual({ steps: Number(m![1]), tau: delayOf('pretrain').tau });
    expect(Number(m![1])).toBeGreaterThanOrEqual(6);
    expect(Number(m![1])).toBeLessThanOrEqual(7);
    const served = await readEpisodes(join(out, 'robot-episodes'));
    expect(new Set(served.episodes.map((e) => e.start.policyId)).size).toBe(2);
    expect(JSON.parse(readFileSync(join(out, 'demo.json'), 'utf8')).loopDelay).toEqual({
      assumed: delayOf('pretrain').steps,
      estimated: Number(m![1]),
    });
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain(
      `estimated from the 10 demonstrations, is ${m![1]} steps`,
    );
  });

  it('refuses an unknown scenario with a one-line error and exit 2', async () => {
    const r = await sim2real(['demo', '--quick', '--scenario', 'juggling', '--out', join(dir, 'bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--scenario: expected grasp, navigate or a scenario file, got "juggling"/);
  });
});
