/** Asking a running server for its `stats` (a health probe): one request, the answer or a clear failure. */
import * as zmq from 'zeromq';
import { decodeServerMessage, encode } from './codec.js';
import { configureCurveClient, type CurveClientKeys } from './curve.js';
import { checkEndpoint, isIpv6 } from './endpoint.js';
import type { StatsMsg } from './messages.js';

/** The server's `stats`, or an Error saying why there is none within `timeoutMs` (refused key, silence). */
export async function probeStats(
  server: string,
  opts: { timeoutMs?: number; curve?: CurveClientKeys } = {},
): Promise<StatsMsg> {
  checkEndpoint(server, '--server', { bind: false });
  const timeoutMs = opts.timeoutMs ?? 1000;
  const sock = new zmq.Dealer({ linger: 0, sendTimeout: 0, ipv6: isIpv6(server) });
  let refused: Error | null = null;
  if (opts.curve) {
    configureCurveClient(sock, opts.curve);
    sock.events.on('handshake:error:auth', (e) => {
      refused = new Error(`${server} refused our CurveZMQ key (ZAP status ${e.error.status})`);
      sock.close();
    });
  }
  sock.connect(server);
  const timer = setTimeout(() => sock.close(), timeoutMs);
  try {
    // The DEALER queues the request until the connection is up (not immediate mode).
    await sock.send(encode({ type: 'stats', seq: 1, time: Date.now() / 1000 }));
    for await (const [frame] of sock) {
      const m = decodeServerMessage(frame);
      if (m.type === 'stats') return m;
    }
  } catch (e) {
    if (!sock.closed) throw e;
  } finally {
    clearTimeout(timer);
    if (!sock.closed) sock.close();
  }
  throw refused ?? new Error(`${server}: no stats answer within ${timeoutMs} ms (not serving)`);
}
