import { afterEach, describe, expect, it } from 'vitest';
import { PolicyServer } from '../../src/bridge/server.js';
import { RobotClient } from '../../src/bridge/robot-client.js';
import { PATIENT, freePort, navScenario, tinyPolicy } from './fixtures.js';
import { DelayCompensator } from '../../src/sim/delay-compensator.js';
import { Rng } from '../../src/sim/rng.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(opts: Partial<Parameters<typeof PolicyServer.start>[0]> = {}) {
  const policy = opts.policy ?? (await tinyPolicy());
  const server = await PolicyServer.start({ bind: `tcp://127.0.0.1:${await freePort()}`, policy, ...PATIENT, ...opts });
  cleanups.push(() => server.close());
  return server;
}

async function robot(server: PolicyServer, extra: Partial<Parameters<typeof RobotClient.connect>[0]> = {}) {
  const c = await RobotClient.connect({
    server: server.endpoint,
    robotId: 'r1',
    contract: navScenario.contract,
    safeAction: navScenario.safe_action,
    deadlineMs: 5000,
    ...extra,
  });
  cleanups.push(() => c.close());
  return c;
}

const obs = () => new Float32Array(29).fill(0.5);

describe('policy server + robot client', () => {
  it('handshakes and answers observations with the policy action', async () => {
    const policy = await tinyPolicy();
    const server = await serve({ policy });
    const c = await robot(server);
    expect(c.policyId).toBe('tiny');
    const r = await c.act(0, 0, obs());
    expect(r.missed).toBe(false);
    expect(Array.from(r.action)).toEqual(Array.from(policy.act(obs())));
    expect(r.policyVersion).toBe(1);
  });

  it('refuses a robot whose contract differs, naming the component', async () => {
    const server = await serve();
    const bad = structuredClone(navScenario.contract);
    bad.obs[0].size = 16;
    await expect(robot(server, { contract: bad })).rejects.toThrow(
      /contract_mismatch|obs\.lidar: expected size 24, got 16/,
    );
  });

  it('serves several robots at once', async () => {
    const server = await serve();
    const clients = await Promise.all([0, 1, 2, 3].map((i) => robot(server, { robotId: `r${i}` })));
    const results = await Promise.all(clients.map((c, i) => c.act(0, 0, obs().fill(i / 10))));
    expect(results.every((r) => !r.missed)).toBe(true);
    expect(server.stats().robots).toBe(4);
  });

  it("compensates a policy's loop delay per robot session, from the actions the robots applied", async () => {
    const policy = await tinyPolicy('tiny-delay');
    policy.delayCompensation = { steps: 3, tau: 0.1 };
    const server = await serve({
      policy,
      scenario: { name: navScenario.name, controlHz: navScenario.control.rate_hz, safeAction: navScenario.safe_action },
    });
    const robots = await Promise.all([0, 1].map((i) => robot(server, { robotId: `r${i}` })));
    // Each robot's own compensator, fed what that robot sent and applied: the server must agree with it.
    const local = robots.map(
      () =>
        new DelayCompensator(
          navScenario.contract,
          navScenario.control.rate_hz,
          navScenario.safe_action,
          policy.delayCompensation,
        ),
    );
    const rng = new Rng(5);
    const observation = () => {
      const o = new Float32Array(29);
      for (let i = 0; i < 24; i++) o[i] = 0.3 + 2.5 * rng.next();
      const b = rng.next() * 6.28;
      o.set([1 + rng.next(), Math.sin(b), Math.cos(b), 0.4 * rng.next(), rng.next() - 0.5], 24);
      return o;
    };
    let compensated = 0;
    for (const episode of [0, 1]) {
      local.forEach((c) => c.reset());
      let prev: (Float32Array | null)[] = [null, null];
      for (let step = 0; step < 8; step++) {
        for (const [k, c] of robots.entries()) {
          const o = observation();
          if (prev[k]) local[k].commanded(prev[k]!);
          const seen = local[k].observe(o);
          if (seen.some((v, i) => v !== o[i])) compensated++;
          // `applied` as the emulated robot reports it (what reached its actuators: here a stale command): the server must use what it sent.
          const r = await c.act(
            episode,
            step,
            o,
            prev[k]
              ? { reward: 0, terminated: false, truncated: false, applied: new Float32Array([0.9, -0.9]) }
              : undefined,
          );
          expect(Array.from(r.action)).toEqual(Array.from(policy.act(seen)));
          prev[k] = r.action;
        }
      }
      prev = [null, null];
    }
    expect(compensated).toBeGreaterThan(20); // the check above compared compensated observations
  });

  it('a compensating policy deployed mid-episode predicts from the commands already in flight; a skipped step counts as the safe action', async () => {
    const first = await tinyPolicy('tiny-delay-a', 0.5);
    first.delayCompensation = { steps: 4, tau: 0.1 };
    const second = await tinyPolicy('tiny-delay-b', 0.3);
    second.delayCompensation = { steps: 4, tau: 0.1 };
    const server = await serve({
      policy: first,
      scenario: { name: navScenario.name, controlHz: navScenario.control.rate_hz, safeAction: navScenario.safe_action },
    });
    const c = await robot(server);
    const local = new DelayCompensator(
      navScenario.contract,
      navScenario.control.rate_hz,
      navScenario.safe_action,
      first.delayCompensation,
    );
    const o = (t: number) =>
      new Float32Array(29)
        .fill(1.2)
        .fill(0, 24)
        .fill(0.3 + 0.01 * t, 27, 28);
    let prev: Float32Array | null = null;
    for (const step of [0, 1, 2, 3, 5, 6, 7]) {
      if (step === 3) server.swapPolicy(second);
      if (prev) local.commanded(prev);
      if (step === 5) local.commanded(navScenario.safe_action); // step 4 never reached the server
      const policy = step >= 3 ? second : first;
      const r = await c.act(0, step, o(step));
      expect(Array.from(r.action), `step ${step}`).toEqual(Array.from(policy.act(local.observe(o(step)))));
      prev = r.action;
    }
  });

  it('swaps the policy between two steps without dropping a robot', async () => {
    const server = await serve();
    const c = await robot(server);
    const before = await c.act(0, 0, obs());
    server.swapPolicy(await tinyPolicy('tiny-2', 0.5));
    const after = await c.act(0, 1, obs());
    expect(after.policyVersion).toBe(2);
    expect(after.policyId).toBe('tiny-2');
    expect(Array.from(after.action)).not.toEqual(Array.from(before.action));
    expect(server.stats().robots).toBe(1);
  });

  it('applies the safe action when the deadline passes and holds it after repeated misses', async () => {
    const server = await serve();
    const c = await robot(server, { deadlineMs: 30, maxMisses: 2 });
    await server.close(); // the server goes away
    const r1 = await c.act(0, 0, obs());
    expect(r1.missed).toBe(true);
    expect(Array.from(r1.action)).toEqual(navScenario.safe_action);
    const r2 = await c.act(0, 1, obs());
    expect(r2.holding).toBe(true);
    const r3 = await c.act(0, 2, obs());
    expect(r3.missed && r3.holding).toBe(true);
  });
});
