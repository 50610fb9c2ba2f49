/**
 * `sim2real demo --quick` end to end, as the README's main command runs it: every stage must leave
 * its artefact (sim episodes, pretrained checkpoints of the randomized policy and the nominal-only
 * baseline, robot episodes and report, fine-tuned checkpoint, report.html), and the numbers in
 * demo.json must be consistent counts.
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
    // (a), (b) and (c) on the robot, beside the sim rows.
    expect(r.stdout).toMatch(/\(a\) nominal-only: BC on nominal-sim demos\s+emulated robot\s+100 /);
    expect(r.stdout).toMatch(/\(b\) randomized, zero-shot\s+emulated robot\s+100 /);
    expect(r.stdout).toMatch(
      /\(c\) (fine-tuned on 10 robot demos \(8 train \/ 2 val\)|pretrained kept .*)\s+emulated robot\s+100 /,
    );
    expect(r.stdout).toMatch(/10 robot demos \(8 train \/ 2 val\) for fine-tuning/);

    expect(mcaps(join(out, 'sim-demos')).length).toBeGreaterThan(0);
    expect(mcaps(join(out, 'sim-demos-nominal')).length).toBeGreaterThan(0);
    for (const run of ['pretrain', 'pretrain-nominal', 'finetune'])
      expect(existsSync(join(out, run, 'policy', 'policy.json')), run).toBe(true);
    const real = await readEpisodes(join(out, 'real-demos'));
    expect(real.episodes).toHaveLength(10);
    expect(real.episodes.every((e) => e.start.source === 'real')).toBe(true);
    const demo = JSON.parse(readFileSync(join(out, 'demo.json'), 'utf8'));
    const log = JSON.parse(readFileSync(join(out, 'demo-stages.json'), 'utf8')) as { done: Record<string, unknown> };
    expect(Object.keys(log.done)).toEqual([
      'collect',
      'pretrain',
      'collectNominal',
      'pretrainNominal',
      'simRandomized',
      'robotNominalOnly',
      'robotZeroShot',
      'validationPretrained',
      'realDemos',
      'finetune',
      'validationFinetuned',
      'robotFinetuned',
    ]);
    expect(demo.stages).toHaveLength(12);

    // Every robot run went through the server: test runs of (a), (b) and — when deployed — the
    // fine-tuned policy, and both validation runs.
    const v = demo.validation;
    const finetunedDeployed = v.deployed === 'finetuned';
    const runs = [demo.robotNominalOnly, demo.robotZeroShot, v.pretrained, v.finetuned];
    if (finetunedDeployed) runs.push(demo.robotFinetuned);
    else expect(demo.robotFinetuned).toEqual(demo.robotZeroShot);
    expect(finetunedDeployed).toBe(v.finetuned.successes > v.pretrained.successes);
    const served = await readEpisodes(join(out, 'robot-episodes'));
    expect(served.episodes).toHaveLength(runs.reduce((n, x) => n + x.episodes, 0));
    expect(new Set(served.episodes.map((e) => e.start.policyId)).size).toBe(3);
    // Every served episode was recorded whole, the last one before the server closed included.
    expect(served.episodes.filter((e) => !e.end)).toHaveLength(0);
    expect(served.episodes.reduce((n, e) => n + e.steps.length, 0)).toBe(runs.reduce((n, x) => n + x.steps, 0));

    for (const x of [demo.robotNominalOnly, demo.robotZeroShot, demo.robotFinetuned]) expect(x.episodes).toBe(100);
    expect([v.pretrained.episodes, v.finetuned.episodes]).toEqual([50, 50]);
    // The server started with (a), then (b) and the fine-tuned policy were deployed to it.
    expect(demo.robotNominalOnly.policyVersions).toEqual([1]);
    expect(demo.robotZeroShot.policyVersions).toEqual([2]);
    expect(v.finetuned.policyVersions).toEqual([3]);
    expect(demo.realDemos).toMatchObject({ episodes: 10, trainEpisodes: 8, valEpisodes: 2 });
    for (const t of demo.transfer) {
      expect(t.successes).toBeLessThanOrEqual(t.episodes);
      expect(t.ci95[0]).toBeLessThanOrEqual(t.rate + 1e-9);
      expect(t.ci95[1]).toBeGreaterThanOrEqual(t.rate - 1e-9);
    }
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    for (const part of ['Transfer', 'Robot validation', 'Learning curve (a)', 'Learning curve (b)', 'latency', '<svg'])
      expect(html.includes(part), part).toBe(true);
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
    // The demo's robot (navigate-obstacles-mujoco) has 5.5-6.5 steps of loop delay in sim time, jittered;
    // closed-loop expert demonstrations read a step short of it at most: 5-7.
    const m = `${r.stdout}${r.stderr}`.match(/robot loop delay estimated from the demonstrations: (\d+) control steps/);
    expect(m).not.toBeNull();
    expect(delayOf('finetune')).toEqual({ steps: Number(m![1]), tau: delayOf('pretrain').tau });
    expect(Number(m![1])).toBeGreaterThanOrEqual(5);
    expect(Number(m![1])).toBeLessThanOrEqual(7);
    const served = await readEpisodes(join(out, 'robot-episodes'));
    expect(new Set(served.episodes.map((e) => e.start.policyId)).size).toBe(3);
    // Cloned in nominal sim, where nothing is late, the baseline compensates no delay.
    expect(delayOf('pretrain-nominal')?.steps ?? 0).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'demo.json'), 'utf8')).loopDelay).toEqual({
      assumed: delayOf('pretrain').steps,
      estimated: Number(m![1]),
    });
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain(`estimated from the 10 demonstrations, is ${m![1]} steps`);
    // Its one DAgger round is marked on the learning curve.
    expect(html).toContain('DAgger round 1');
  });

  it('refuses an unknown scenario with a one-line error and exit 2', async () => {
    const r = await sim2real(['demo', '--quick', '--scenario', 'juggling', '--out', join(dir, 'bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--scenario: expected grasp, navigate or a scenario file, got "juggling"/);
  });
});
