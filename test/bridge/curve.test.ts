/**
 * CurveZMQ (docs/protocol.md "Transport"): the server admits only allow-listed robot keys through
 * its ZAP handler; everything else never gets a welcome, and the refusal is logged. A non-loopback
 * bind needs keys or an explicit insecure flag.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { PolicyServer, type PolicyServerOptions } from '../../src/bridge/server.js';
import { RobotClient, type RobotClientOptions } from '../../src/bridge/robot-client.js';
import { InputError } from '../../src/errors.js';
import { PATIENT, RawPeer, freePort, navScenario, tinyPolicy, until } from './fixtures.js';

const contract = navScenario.contract;
const obs = () => new Float32Array(29).fill(0.25);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(opts: Partial<PolicyServerOptions> & { log?: (l: string) => void }): Promise<PolicyServer> {
  const s = await PolicyServer.start({
    bind: `tcp://127.0.0.1:${await freePort()}`,
    policy: await tinyPolicy(),
    ...PATIENT,
    ...opts,
  });
  cleanups.push(() => s.close());
  return s;
}

/**
 * A robot connecting with `extra`'s keys. A refusal by ZAP fails the connect at once (an auth event);
 * `silence` for a refusal that reaches the robot as no answer at all: the connect gives up after 250 ms.
 */
async function robot(server: PolicyServer, extra: Partial<RobotClientOptions>, silence = false): Promise<RobotClient> {
  const c = await RobotClient.connect({
    server: server.endpoint,
    robotId: 'curvy',
    contract,
    safeAction: navScenario.safe_action,
    deadlineMs: 5000,
    connectTimeoutMs: silence ? 250 : 30_000,
    ...extra,
  });
  cleanups.push(() => c.close());
  return c;
}

describe('CurveZMQ', () => {
  const serverKeys = zmq.curveKeyPair();
  const allowed = zmq.curveKeyPair();
  const stranger = zmq.curveKeyPair();

  it('serves a robot whose public key is on the allow-list', async () => {
    const log: string[] = [];
    const server = await serve({ curve: { ...serverKeys, allow: [allowed.publicKey] }, log: (l) => log.push(l) });
    expect(log.some((l) => /\(CurveZMQ\)/.test(l))).toBe(true);
    const c = await robot(server, { curve: { serverKey: serverKeys.publicKey, ...allowed } });
    const r = await c.act(0, 0, obs());
    expect(r.missed).toBe(false);
    expect(server.stats().robots).toBe(1);
  });

  it('refuses an unknown key at once: no welcome, connect fails naming the refusal (ZAP 400), the refusal is logged', async () => {
    const log: string[] = [];
    const server = await serve({ curve: { ...serverKeys, allow: [allowed.publicKey] }, log: (l) => log.push(l) });
    await expect(robot(server, { curve: { serverKey: serverKeys.publicKey, ...stranger } })).rejects.toThrow(
      new RegExp(
        `^${server.endpoint.replace(/\./g, '\\.')} refused our CurveZMQ key \\(ZAP status 400\\): is robot curvy's public key on the server's --allow list\\?`,
      ),
    );
    expect(log.some((l) => /refused a connection .*public key not on the allow-list/.test(l))).toBe(true);
    expect(server.stats().robots).toBe(0);
    // The refused robot did not disturb an allowed one.
    const ok = await robot(server, { curve: { serverKey: serverKeys.publicKey, ...allowed } });
    expect((await ok.act(0, 0, obs())).missed).toBe(false);
  });

  it('refuses a robot without CURVE, and one that has the wrong server key', async () => {
    const log: string[] = [];
    const server = await serve({ curve: { ...serverKeys, allow: [allowed.publicKey] }, log: (l) => log.push(l) });
    // Neither reaches ZAP: to the robot such a refusal is silence (docs/protocol.md "How refusals look").
    await expect(robot(server, {}, true)).rejects.toThrow(/no welcome/);
    const other = zmq.curveKeyPair();
    await expect(robot(server, { curve: { serverKey: other.publicKey, ...allowed } }, true)).rejects.toThrow(
      /no welcome/,
    );
    expect(server.stats().robots).toBe(0);
    // A plain-text peer speaking the protocol gets nothing at all (not even an error).
    const raw = new RawPeer(server.endpoint);
    cleanups.push(() => raw.close());
    await raw.send({ type: 'hello', protocol: 1, robot_id: 'plain', contract });
    await sleep(150);
    expect(raw.inbox).toEqual([]);
    await until(() => log.some((l) => /handshake failed/.test(l)));
  });

  it('keeps the allow-lists of two servers in one process apart, also after one of them closes', async () => {
    const keys2 = zmq.curveKeyPair();
    const robot2 = zmq.curveKeyPair();
    const s1 = await serve({ curve: { ...serverKeys, allow: [allowed.publicKey] } });
    const s2 = await serve({ curve: { ...keys2, allow: [robot2.publicKey] } });
    // Robot 1 is allowed on server 1 only, robot 2 on server 2 only.
    await expect(robot(s2, { curve: { serverKey: keys2.publicKey, ...allowed } })).rejects.toThrow(
      /refused our CurveZMQ key/,
    );
    await expect(robot(s1, { curve: { serverKey: serverKeys.publicKey, ...robot2 } })).rejects.toThrow(
      /refused our CurveZMQ key/,
    );
    const c2 = await robot(s2, { curve: { serverKey: keys2.publicKey, ...robot2 } });
    expect((await c2.act(0, 0, obs())).missed).toBe(false);
    // Closing server 1 must not leave server 2 without its ZAP handler (libzmq would then admit any key).
    await s1.close();
    await expect(robot(s2, { curve: { serverKey: keys2.publicKey, ...allowed } })).rejects.toThrow(
      /refused our CurveZMQ key/,
    );
    await expect(robot(s2, { curve: { serverKey: keys2.publicKey, ...stranger } })).rejects.toThrow(
      /refused our CurveZMQ key/,
    );
    expect((await c2.act(0, 1, obs())).missed).toBe(false);
    // A server started later with another allow-list does not inherit keys from a closed one.
    const s3 = await serve({ curve: { ...serverKeys, allow: [robot2.publicKey] } });
    await expect(robot(s3, { curve: { serverKey: serverKeys.publicKey, ...allowed } })).rejects.toThrow(
      /refused our CurveZMQ key/,
    );
    const c3 = await robot(s3, { curve: { serverKey: serverKeys.publicKey, ...robot2 } });
    expect((await c3.act(0, 0, obs())).missed).toBe(false);
  });
});

describe('binding beyond loopback', () => {
  it('refuses a non-loopback bind without CurveZMQ or insecure (InputError)', async () => {
    const policy = await tinyPolicy();
    const port = await freePort();
    for (const bind of [
      `tcp://0.0.0.0:${port}`,
      `tcp://*:${port}`,
      `tcp://192.168.1.20:${port}`,
      `tcp://[::]:${port}`,
    ]) {
      const p = PolicyServer.start({ bind, policy });
      await expect(p).rejects.toBeInstanceOf(InputError);
      await expect(p).rejects.toThrow(/expected a loopback address, CurveZMQ keys .* or an explicit --insecure/);
    }
  });

  it('accepts loopback binds as they are, and a non-loopback bind with keys or insecure', async () => {
    const s1 = await serve({ bind: `tcp://localhost:${await freePort()}` });
    expect(s1.endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const s2 = await serve({ bind: `tcp://0.0.0.0:${await freePort()}`, insecure: true });
    expect(s2.endpoint).toMatch(/^tcp:\/\/0\.0\.0\.0:\d+$/);
    const keys = zmq.curveKeyPair();
    const s3 = await serve({
      bind: `tcp://0.0.0.0:${await freePort()}`,
      curve: { ...keys, allow: [zmq.curveKeyPair().publicKey] },
    });
    expect(s3.endpoint).toMatch(/^tcp:\/\/0\.0\.0\.0:\d+$/);
  });

  it('refuses an endpoint that is not tcp://HOST:PORT', async () => {
    await expect(PolicyServer.start({ bind: 'ipc:///tmp/robots', policy: await tinyPolicy() })).rejects.toThrow(
      /expected tcp:\/\/HOST:PORT/,
    );
  });
});
