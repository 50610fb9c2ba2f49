/**
 * Deploying a checkpoint over the network: its files travel inline in one `deploy` message; the
 * server writes them to a private temp dir, loads and checks them, and swaps the policy in.
 */
import * as zmq from 'zeromq';
import { decodeServerMessage, encode } from './codec.js';
import { configureCurveClient, type CurveClientKeys } from './curve.js';
import { checkEndpoint, isIpv6 } from './endpoint.js';
import { MAX_FRAME_BYTES, type ServerMessage } from './messages.js';
import { InputError } from '../errors.js';
import { deployProof } from './deploy-auth.js';
import { checkpointFiles } from './checkpoint-files.js';

export interface DeployResult {
  policyId: string;
  policyVersion: number;
}

/** Send a checkpoint to a running server and wait for its verdict (a refusal comes back at once). */
export async function deployTo(
  server: string,
  dir: string,
  opts: { timeoutMs?: number; curve?: CurveClientKeys } = {},
): Promise<DeployResult> {
  checkEndpoint(server, 'server', { bind: false });
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const files = checkpointFiles(dir);
  const time = Date.now() / 1000;
  const auth = opts.curve
    ? { deployer: opts.curve.publicKey, proof: deployProof(files, time, opts.curve.serverKey, opts.curve) }
    : {};
  const frame = encode({ type: 'deploy', seq: 1, time, files, ...auth });
  // libzmq closes the connection on a frame this big without a word; say so rather than time out.
  if (frame.byteLength > MAX_FRAME_BYTES)
    throw new InputError(
      `${dir}: expected a checkpoint under ${MAX_FRAME_BYTES} bytes in one deploy message, got ${frame.byteLength}`,
    );
  const sock = new zmq.Dealer({ linger: 0, ipv6: isIpv6(server) });
  let refused: Error | null = null;
  let wake: () => void = () => {};
  if (opts.curve) {
    configureCurveClient(sock, opts.curve);
    // A CurveZMQ refusal is only a monitor event on this side: report it rather than wait out the timeout.
    sock.events.on('handshake:error:auth', (e) => {
      refused = new InputError(
        `${server} refused our CurveZMQ key (ZAP status ${e.error.status}): is it on the server's --deploy-allow list?`,
      );
      wake();
    });
    sock.events.on('handshake:error:protocol', (e) => {
      refused = new InputError(
        `${server}: CurveZMQ handshake failed (${e.error.message}): is --server-key the server's public key?`,
      );
      wake();
    });
  }
  sock.connect(server);
  try {
    await sock.send(frame);
    const answer = (async () => {
      try {
        for await (const [frame] of sock) {
          const m: ServerMessage = decodeServerMessage(frame);
          if (m.type === 'deployed') return { policyId: m.policy_id, policyVersion: m.policy_version };
          // A refused checkpoint or deployer is the deployer's bad input; anything else is the server's doing.
          if (m.type === 'error')
            throw new (m.code === 'bad_policy' || m.code === 'not_allowed' ? InputError : Error)(
              `${dir}: ${server} answered ${m.code}: ${m.message}`,
            );
        }
      } catch (e) {
        if (!sock.closed) throw e;
      }
      return null;
    })();
    const stop = new Promise<null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      wake = () => {
        clearTimeout(timer);
        resolve(null);
      };
      void answer.finally(() => clearTimeout(timer)).catch(() => undefined);
    });
    const r = await Promise.race([answer, stop]);
    if (r) return r;
    if (refused) throw refused;
    throw new Error(`${server}: no answer to the deployment within ${timeoutMs} ms`);
  } finally {
    if (!sock.closed) sock.close();
  }
}
