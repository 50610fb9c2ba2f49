import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { formatInspect, inspectEpisodes, registerEpisodes } from '../../src/cli/episodes.js';
import { InputError } from '../../src/ui/report-error.js';
import { wilson } from '../../src/episodes/summary.js';
import { EpisodeWriter } from '../../src/episodes/writer.js';
import { lengthOf, startFor, stepFor, writeFixtureFile } from './fixtures.js';

const run = promisify(execFile);
const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
let dir: string;
let unclosed: EpisodeWriter;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sim2real-inspect-'));
  await writeFixtureFile(join(dir, 'a.mcap'), 3); // successes: 0, 2
  await writeFixtureFile(join(dir, 'b.mcap'), 2); // successes: 0
  // A third file whose writer stopped mid-episode (never closed).
  unclosed = await EpisodeWriter.open(join(dir, 'c.mcap'));
  unclosed.startEpisode(startFor(0), new Uint8Array(1));
  for (let t = 0; t < 3; t++) unclosed.writeStep(stepFor(0, t));
  await unclosed.flush();
});
afterAll(async () => {
  await unclosed.close();
  await rm(dir, { recursive: true, force: true });
});

const expectedLengths = [0, 1, 2, 0, 1].map(lengthOf);

describe('episodes inspect', () => {
  it('summarises a directory (imported command, --json)', async () => {
    const program = new Command().exitOverride();
    registerEpisodes(program);
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await program.parseAsync(['node', 'sim2real', 'episodes', 'inspect', dir, '--json']);
      const out = write.mock.calls.map((c) => String(c[0])).join('');
      const r = JSON.parse(out);
      expect(r).toMatchObject({
        files: 3,
        episodes: 5,
        incompleteEpisodes: 1,
        successRate: 3 / 5,
        successCi95: wilson(3, 5),
        meanLength: expectedLengths.reduce((a, b) => a + b) / 5,
        minLength: 5,
        maxLength: 11,
        steps: expectedLengths.reduce((a, b) => a + b),
      });
      expect(typeof r.meanReturn).toBe('number');
      expect(r.episodeList).toHaveLength(6);
      expect(r.episodeList[0]).toEqual({
        file: join(dir, 'a.mcap'),
        index: 0,
        scenario: 'fake-scenario',
        seed: 1000,
        source: 'sim',
        policyId: 'expert:fake',
        complete: true,
        success: true,
        return: expect.any(Number),
        length: 5,
        robotId: null,
        flagged: false,
        obsOutOfRange: null,
        partialFrom: null,
      });
      expect(r.episodeList[5]).toMatchObject({ file: join(dir, 'c.mcap'), complete: false, success: null, length: 3 });
      expect(r.fileList.map((f: { indexed: boolean }) => f.indexed)).toEqual([true, true, false]);
    } finally {
      write.mockRestore();
    }
  });

  it('prints one line per episode and a summary line', async () => {
    const text = formatInspect(await inspectEpisodes(join(dir, 'a.mcap')));
    const lines = text.split('\n');
    expect(lines).toHaveLength(1 + 3 + 1);
    expect(lines[1]).toMatch(/^ {2}#0 {2}seed 1000 {2}sim {2}success {2}return -?\d+\.\d{3} {2}length 5$/);
    expect(lines[4]).toMatch(
      /^3 episodes, 24 steps in 1 file: success 66\.7% \(95% CI 20\.8%–93\.9%\), mean return .+, length mean 8\.0 min 5 max 11$/,
    );
  });

  it('turns bad paths into InputError', async () => {
    await expect(inspectEpisodes(join(dir, 'missing'))).rejects.toBeInstanceOf(InputError);
    const bad = join(dir, 'bad.bin');
    await writeFile(bad, 'PK\u0003\u0004 not mcap');
    await expect(inspectEpisodes(bad)).rejects.toThrow(/bad\.bin: expected an MCAP file/);
  });

  it('runs as a command: --json on stdout, and exit 2 with one line on stderr for a bad path', async () => {
    const ok = await run(process.execPath, [
      '--import',
      'tsx',
      main,
      'episodes',
      'inspect',
      join(dir, 'a.mcap'),
      '--json',
    ]);
    expect(JSON.parse(ok.stdout)).toMatchObject({ episodes: 3, successRate: 2 / 3 });

    const missing = join(dir, 'nothing-here.mcap');
    const err = await run(process.execPath, ['--import', 'tsx', main, 'episodes', 'inspect', missing]).then(
      () => null,
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    expect(err).not.toBeNull();
    expect(err!.code).toBe(2);
    expect(err!.stdout).toBe('');
    const lines = err!.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(
      `sim2real: error: ${missing}: expected an MCAP episode file or a directory of them, got no such file or directory`,
    );
  });
});
