/**
 * CurveZMQ for the policy server: the ROUTER is a CURVE server, and a ZAP handler (ZeroMQ RFC 27)
 * on `inproc://zeromq.zap.01` admits only allow-listed robot public keys.
 */
import * as zmq from 'zeromq';
import { z85Decode } from './z85.js';

export interface CurveServerKeys {
  /** Server key pair, Z85 (40 characters each). */
  publicKey: string;
  secretKey: string;
  /** Robot public keys allowed to connect, Z85. */
  allow: string[];
}

export interface CurveClientKeys {
  serverKey: string;
  publicKey: string;
  secretKey: string;
}

export interface ZapHandler {
  close(): Promise<void>;
}

const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';

/**
 * One ZAP handler per process (libzmq asks whoever is bound to the ZAP endpoint) serves every CURVE
 * server in it. Each server gets its own ZAP domain, so allow-lists never mix; the handler stays up
 * while any server uses it (without a handler libzmq would admit any key) and refuses requests for a
 * domain it does not know.
 */
interface Domain {
  allowed: Set<string>;
  log: (line: string) => void;
}
const domains = new Map<string, Domain>();
let zapRunning: Promise<{ close(): Promise<void> }> | null = null;
let nextDomain = 0;

async function startZap(): Promise<{ close(): Promise<void> }> {
  const rep = new zmq.Reply({ linger: 0 });
  // The endpoint of a handler closed a moment ago may not be released yet.
  for (let attempt = 0; ; attempt++) {
    try {
      await rep.bind(ZAP_ENDPOINT);
      break;
    } catch (e) {
      if (attempt >= 20) {
        rep.close();
        throw e;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  const loop = (async () => {
    try {
      for await (const frames of rep) {
        const [version, requestId, domain, address, , mechanism, clientKey] = frames;
        const d = domains.get(domain?.toString() ?? '');
        const hex = clientKey ? Buffer.from(clientKey).toString('hex') : '';
        const curve = mechanism?.toString() === 'CURVE';
        const ok = !!d && curve && d.allowed.has(hex);
        if (!ok)
          (d?.log ?? (() => {}))(
            `refused a connection from ${address?.toString() ?? '?'}: ${!curve ? `mechanism ${mechanism?.toString()}` : 'public key not on the allow-list'}`,
          );
        await rep.send([
          version ?? '1.0',
          requestId ?? '',
          ok ? '200' : '400',
          ok ? 'OK' : 'key not allowed',
          ok ? hex : '',
          '',
        ]);
      }
    } catch {
      // Socket closed.
    }
  })();
  return {
    async close() {
      rep.close();
      await loop;
    },
  };
}

/** Make `sock` a CURVE server admitting `keys.allow` only (its own ZAP domain on the process's ZAP handler). */
export async function configureCurveServer(
  sock: zmq.Router,
  keys: CurveServerKeys,
  log: (line: string) => void,
): Promise<ZapHandler> {
  const domain = `sim2real-${process.pid}-${nextDomain++}`;
  domains.set(domain, { allowed: new Set(keys.allow.map((k) => Buffer.from(z85Decode(k)).toString('hex'))), log });
  zapRunning ??= startZap();
  try {
    await zapRunning;
  } catch (e) {
    domains.delete(domain);
    zapRunning = null;
    throw e;
  }
  sock.curveServer = true;
  sock.curveSecretKey = keys.secretKey;
  sock.curvePublicKey = keys.publicKey;
  sock.zapDomain = domain;
  // Refuse rather than admit when, for any reason, no ZAP handler answers.
  sock.zapEnforceDomain = true;
  let closed = false;
  return {
    async close() {
      if (closed) return;
      closed = true;
      domains.delete(domain);
      if (domains.size === 0 && zapRunning) {
        const zap = zapRunning;
        zapRunning = null;
        await (await zap).close();
      }
    },
  };
}

export function configureCurveClient(sock: zmq.Dealer, keys: CurveClientKeys): void {
  sock.curveServerKey = keys.serverKey;
  sock.curvePublicKey = keys.publicKey;
  sock.curveSecretKey = keys.secretKey;
}
