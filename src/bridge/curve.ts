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
let zapRunning: Promise<ZapHandler> | null = null;
const allowed = new Set<string>();
let zapLog: (line: string) => void = () => {};

async function startZap(): Promise<ZapHandler> {
  const rep = new zmq.Reply({ linger: 0 });
  await rep.bind(ZAP_ENDPOINT);
  const loop = (async () => {
    try {
      for await (const frames of rep) {
        const [version, requestId, , address, , mechanism, clientKey] = frames;
        const hex = clientKey ? Buffer.from(clientKey).toString('hex') : '';
        const ok = mechanism?.toString() === 'CURVE' && allowed.has(hex);
        if (!ok) zapLog(`refused a connection from ${address?.toString() ?? '?'}: ${mechanism?.toString() === 'CURVE' ? 'public key not on the allow-list' : `mechanism ${mechanism?.toString()}`}`);
        await rep.send([version ?? '1.0', requestId ?? '', ok ? '200' : '400', ok ? 'OK' : 'key not allowed', ok ? hex : '', '']);
      }
    } catch {
      // Socket closed.
    }
  })();
  return {
    async close() {
      rep.close();
      await loop;
      zapRunning = null;
    },
  };
}

/** Make `sock` a CURVE server admitting `keys.allow` (one ZAP handler per process serves all servers). */
export async function configureCurveServer(sock: zmq.Router, keys: CurveServerKeys, log: (line: string) => void): Promise<ZapHandler> {
  for (const k of keys.allow) allowed.add(Buffer.from(z85Decode(k)).toString('hex'));
  zapLog = log;
  zapRunning ??= startZap();
  const zap = await zapRunning;
  sock.curveServer = true;
  sock.curveSecretKey = keys.secretKey;
  sock.curvePublicKey = keys.publicKey;
  sock.zapDomain = 'sim2real';
  return zap;
}

export function configureCurveClient(sock: zmq.Dealer, keys: CurveClientKeys): void {
  sock.curveServerKey = keys.serverKey;
  sock.curvePublicKey = keys.publicKey;
  sock.curveSecretKey = keys.secretKey;
}
