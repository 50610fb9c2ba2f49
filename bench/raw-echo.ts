/**
 * The floor for `bench bridge-load`: a raw ZeroMQ ROUTER that answers every message at once with one
 * frame of `replyBytes` (the size of an `action` message) whose first 8 bytes are the request's (so a
 * client can match answers to requests). No decoding, no policy, no session: whatever the policy
 * server adds on top of this is the server's cost. Runs in-process (`startRawEcho`) or as a child
 * process (`node dist/bench/raw-echo.js BIND REPLY_BYTES`, which logs `raw echo on <endpoint>` to
 * stderr once bound), so that it can be killed with SIGKILL like `sim2real serve`.
 */
import * as zmq from 'zeromq';
import { fileURLToPath } from 'node:url';

export interface RawEcho {
  endpoint: string;
  close(): Promise<void>;
}

export async function startRawEcho(bind: string, replyBytes: number): Promise<RawEcho> {
  // The same limits as the policy server's ROUTER (maxMessageSize, linger 0, sends never wait).
  const router = new zmq.Router({ linger: 0, sendTimeout: 0, maxMessageSize: (1 << 20) + 1024, handover: true });
  await router.bind(bind);
  const loop = (async () => {
    try {
      for await (const [id, first] of router) {
        const reply = Buffer.alloc(replyBytes);
        if (first) first.copy(reply, 0, 0, Math.min(8, first.length, replyBytes));
        try {
          await router.send([id, reply]);
        } catch {
          // A peer that cannot take it (gone, queue full): dropped, as a ROUTER does.
        }
      }
    } catch {
      // closed
    }
  })();
  return {
    endpoint: router.lastEndpoint ?? bind,
    async close() {
      router.close();
      await loop;
    },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [bind, bytes] = process.argv.slice(2);
  const echo = await startRawEcho(bind, Number(bytes));
  process.stderr.write(`raw echo on ${echo.endpoint}\n`);
  const stop = () => void echo.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
