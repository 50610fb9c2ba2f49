import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { InputError, loadScenario, parseScenario } from '../../src/sim/scenario-file.js';

const files = readdirSync('scenarios')
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => `scenarios/${f}`);

describe('scenario files', () => {
  it.each(files)('%s is valid', (file) => {
    const sc = loadScenario(file);
    expect(sc.name.length).toBeGreaterThan(0);
    expect(sc.contract.obs.length).toBeGreaterThan(0);
  });

  const base = parse(readFileSync('scenarios/grasp-cube.yaml', 'utf8'));
  const bad = (mutate: (x: any) => void): string => {
    const y = structuredClone(base);
    mutate(y);
    try {
      parseScenario(stringify(y), 'bad.yaml');
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return (e as Error).message;
    }
    throw new Error('expected the file to be rejected');
  };

  it('names file, field, expectation and value for a wrong type', () => {
    expect(bad((y) => (y.control.rate_hz = 'fast'))).toBe('bad.yaml:control.rate_hz: expected number, got "fast"');
  });

  it('rejects unknown fields, missing fields and bad values', () => {
    expect(bad((y) => (y.control.rate = 20))).toMatch(/^bad\.yaml:control\.rate: expected no such field/);
    expect(bad((y) => delete y.episode)).toMatch(/^bad\.yaml:episode: expected object, got nothing/);
    expect(bad((y) => (y.control.substeps = 0))).toMatch(/^bad\.yaml:control\.substeps: expected >= 1, got 0/);
    expect(bad((y) => (y.task = 'juggle'))).toMatch(
      /^bad\.yaml:task: expected one of "grasp" \| "navigate", got "juggle"/,
    );
    expect(bad((y) => (y.randomization.friction = [1.5, 0.5]))).toMatch(
      /^bad\.yaml:randomization\.friction: expected \[lo, hi\] with lo <= hi/,
    );
  });

  it('checks the contract against the task and the safe action and reward terms against the contract', () => {
    expect(bad((y) => (y.contract.obs[0].name = 'wrong'))).toMatch(
      /^bad\.yaml:contract\.obs\.0\.name: expected "[a-z_]+", got "wrong"/,
    );
    expect(bad((y) => y.contract.action.pop())).toMatch(/^bad\.yaml:contract\.action\.\d+: expected component/);
    expect(bad((y) => y.safe_action.push(0))).toMatch(/^bad\.yaml:safe_action: expected \d+ values, got \d+/);
    expect(bad((y) => (y.reward.happiness = 1))).toMatch(/^bad\.yaml:reward\.happiness: expected one of/);
  });

  it('reports YAML syntax errors and unreadable files in one line', () => {
    expect(() => parseScenario('a: [1, 2', 'x.yaml')).toThrow(/^x\.yaml: expected YAML, got a syntax error/);
    expect(() => loadScenario('nope/missing.yaml')).toThrow(
      /^nope\/missing\.yaml: expected a readable scenario file, got ENOENT/,
    );
  });
});
