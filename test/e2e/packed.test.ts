/**
 * The public API as another project sees it: `npm pack`, install the tarball into an empty project,
 * run the README's "From code" snippet exactly as written, then the bridge and a vectorised env
 * through the package's entry point (worker threads and built-in scenarios resolve from inside it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'sim2real-packed-'));
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });

beforeAll(() => {
  // --ignore-scripts: `npm test` built dist/ already; rebuilding it here would rewrite files other test files are running.
  run('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], process.cwd());
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--silent', join(dir, tarball)], dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("runs the README's From code snippet as written, from another project", () => {
  const readme = readFileSync('README.md', 'utf8');
  const snippet = /## From code\n+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(snippet, 'README has a ts block under "From code"').toBeDefined();
  writeFileSync(
    join(dir, 'snippet.mjs'),
    `${snippet}\nconsole.log(JSON.stringify({ obs: obs.length, next: next.length, reward, terminated, truncated, info: typeof info }));\n`,
  );
  const out = JSON.parse(run('node', ['snippet.mjs'], dir).trim().split('\n').pop()!);
  expect(out).toMatchObject({ obs: 29, next: 29, terminated: false, truncated: false, info: 'object' });
  expect(Number.isFinite(out.reward)).toBe(true);
});

it("runs the README's whole-run snippet as written: demonstrations, then a BC run directory", () => {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## From code'));
  const snippet = [...section.matchAll(/```ts\n([\s\S]*?)```/g)][1]?.[1];
  expect(snippet, 'README has a second ts block under "From code"').toBeDefined();
  writeFileSync(
    join(dir, 'runs.mjs'),
    `${snippet}\nconsole.log(JSON.stringify({ rate: report.successRate, episodes: report.evaluation.episodes, policy: report.policy }));\n`,
  );
  const out = JSON.parse(run('node', ['runs.mjs'], dir).trim().split('\n').pop()!);
  expect(out.episodes).toBe(20);
  expect(out.rate).toBeGreaterThanOrEqual(0);
  expect(readdirSync(join(dir, out.policy))).toEqual(
    expect.arrayContaining(['policy.json', 'model.json', 'weights.bin']),
  );
});

it('serves a robot and steps a vectorised env through the package entry point', () => {
  writeFileSync(
    join(dir, 'bridge.mjs'),
    `import { VectorEnv, loadScenario, initBackend, GaussianMlpPolicy, PolicyServer, RobotClient } from 'sim2real';
const sc = loadScenario('navigate-obstacles');
const v = await VectorEnv.create({ scenario: sc, numEnvs: 2, workers: 1 });
const obs = await v.reset();
await v.close();
await initBackend();
const policy = new GaussianMlpPolicy('p', sc.contract, { hidden: [8], activation: 'relu', critic: false, initLogStd: -1 });
const server = await PolicyServer.start({ bind: 'tcp://127.0.0.1:*', policy });
const c = await RobotClient.connect({ server: server.endpoint, robotId: 'r', contract: sc.contract, safeAction: sc.safe_action, deadlineMs: 2000 });
const r = await c.act(0, 0, new Float32Array(29));
await c.close();
await server.close();
console.log(JSON.stringify({ vector: obs.length, missed: r.missed, action: Array.from(r.action), expected: Array.from(policy.act(new Float32Array(29))) }));
`,
  );
  const out = JSON.parse(run('node', ['bridge.mjs'], dir).trim().split('\n').pop()!);
  expect(out.vector).toBe(58);
  expect(out.missed).toBe(false);
  expect(out.action).toEqual(out.expected);
});
