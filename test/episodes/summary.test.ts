import { describe, expect, it } from 'vitest';
import { summarizeEpisodes, wilson } from '../../src/episodes/summary.js';
import { stepJson, toFloat32, vectorJson } from '../../src/episodes/encode.js';
import { crc32, crc32Js } from '../../src/episodes/crc32.js';
import type { Episode } from '../../src/episodes/types.js';
import { startFor } from './fixtures.js';

describe('wilson', () => {
  it('matches hand-computed 95% intervals', () => {
    // p = 0.9, n = 10: centre (0.9 + 1.9208/10) / 1.38416 = 0.78898, half-width 0.19314
    const [lo, hi] = wilson(9, 10);
    expect(lo).toBeCloseTo(0.5958, 4);
    expect(hi).toBeCloseTo(0.9821, 4);
    const [lo0, hi0] = wilson(0, 10);
    expect(lo0).toBe(0);
    expect(hi0).toBeCloseTo(0.2775, 4);
    const [lo5, hi5] = wilson(50, 100);
    expect(lo5).toBeCloseTo(0.4038, 4);
    expect(hi5).toBeCloseTo(0.5962, 4);
    const [loN, hiN] = wilson(10, 10);
    expect(loN).toBeCloseTo(0.7225, 4);
    expect(hiN).toBe(1);
    expect(wilson(0, 0)).toEqual([0, 1]);
  });

  it('narrows with a smaller z', () => {
    const [lo, hi] = wilson(9, 10, 1);
    expect(hi - lo).toBeLessThan(wilson(9, 10)[1] - wilson(9, 10)[0]);
  });
});

function episode(file: string, index: number, end?: { success: boolean; return: number; length: number }): Episode {
  const { index: _i, ...start } = startFor(index);
  const steps = Array.from({ length: end?.length ?? 3 }, (_, t) => ({
    step: t,
    time: t / 20,
    obs: new Float32Array(6),
    action: new Float32Array(2),
    appliedAction: new Float32Array(2),
    reward: 0,
    terminated: false,
    truncated: false,
  }));
  const ep: Episode = {
    file,
    start: { event: 'start', index, startedAt: '2024-01-01T00:00:00Z', ...start },
    steps,
    snapshot: new Uint8Array(),
  };
  if (end) ep.end = { event: 'end', index, terminated: end.success, truncated: !end.success, ...end };
  return ep;
}

describe('summarizeEpisodes', () => {
  it('counts complete episodes only and reports success, returns and lengths', () => {
    const eps = [
      episode('a', 0, { success: true, return: 10, length: 20 }),
      episode('a', 1, { success: false, return: -2, length: 40 }),
      episode('b', 2, { success: true, return: 4, length: 30 }),
      episode('b', 3), // incomplete
    ];
    const s = summarizeEpisodes(eps);
    expect(s).toEqual({
      files: 2,
      episodes: 3,
      incompleteEpisodes: 1,
      steps: 90,
      successRate: 2 / 3,
      successCi95: wilson(2, 3),
      meanReturn: 4,
      meanLength: 30,
      minLength: 20,
      maxLength: 40,
      sources: { sim: 2, real: 1 },
      scenarios: { 'fake-scenario': 3 },
    });
    expect(s.successCi95[0]).toBeCloseTo(0.2077, 4);
    expect(s.successCi95[1]).toBeCloseTo(0.9385, 4);
    expect(summarizeEpisodes(eps, { files: 5 }).files).toBe(5);
  });

  it('has no rates without complete episodes', () => {
    const s = summarizeEpisodes([episode('a', 0)]);
    expect(s.episodes).toBe(0);
    expect(s.incompleteEpisodes).toBe(1);
    expect(s.successRate).toBeNaN();
    expect(s.successCi95).toEqual([0, 1]);
  });
});

describe('step encoding', () => {
  it('writes float32 vectors compactly and reads them back bit-exactly', () => {
    const v = new Float32Array([0.1, -0, 1e-30, 3e38, 100, 1.5, -2, 123456792, 1 / 3, NaN]);
    expect(vectorJson(v)).toBe('[0.100000001,-0,1e-30,3.00000001e+38,100,1.5,-2,123456792,0.333333343,null]');
    const back = toFloat32(JSON.parse(vectorJson(v)));
    expect(Object.is(back[1], -0)).toBe(true);
    expect(Array.from(back.subarray(0, 9))).toEqual(Array.from(v.subarray(0, 9)));
    expect(back[9]).toBeNaN();
    const rnd = new Float32Array(20000);
    for (let i = 0; i < rnd.length; i++) rnd[i] = (Math.random() - 0.5) * 10 ** (Math.random() * 60 - 30);
    expect(toFloat32(JSON.parse(vectorJson(rnd)))).toEqual(rnd);
  });

  it('writes float64 arrays exactly', () => {
    expect(vectorJson([0.1, 1 / 3, Infinity])).toBe('[0.1,0.3333333333333333,null]');
  });

  it('produces valid JSON with optional fields only when present', () => {
    const base = {
      episode: 1,
      step: 2,
      time: 0.1,
      obs: [1],
      action: [0.5],
      appliedAction: [0.5],
      reward: -1,
      terminated: false,
      truncated: true,
    };
    expect(JSON.parse(stepJson(base))).toEqual(base);
    expect(JSON.parse(stepJson({ ...base, trueObs: [2], expertAction: [0], latencyMs: 3.5 }))).toEqual({
      ...base,
      trueObs: [2],
      expertAction: [0],
      latencyMs: 3.5,
    });
  });
});

describe('crc32', () => {
  it('is the IEEE CRC-32 and chains', () => {
    const data = new TextEncoder().encode('123456789');
    expect(crc32(data)).toBe(0xcbf43926);
    expect(crc32Js(data)).toBe(0xcbf43926);
    expect(crc32Js(data.subarray(4), crc32Js(data.subarray(0, 4)))).toBe(0xcbf43926);
    expect(crc32(data.subarray(4), crc32(data.subarray(0, 4)))).toBe(0xcbf43926);
  });
});
