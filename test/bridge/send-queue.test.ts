/** The server's one way out (send-queue.ts): a socket that fails is reported once, and nothing is sent after it. */
import { expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { SendQueue } from '../../src/bridge/send-queue.js';

it('a send that fails (the socket closed under it) is reported once; later sends are refused, not thrown', async () => {
  const sock = new zmq.Router({ linger: 0 });
  const failures: Error[] = [];
  const q = new SendQueue(sock, (e) => failures.push(e));
  sock.close();
  expect(q.send([Buffer.from('peer'), Buffer.from('x')])).toBe(true);
  // Reported when the send's promise rejects: wait for it (a hang fails the test's timeout).
  while (failures.length === 0) await new Promise((r) => setTimeout(r, 5));
  expect(failures).toHaveLength(1);
  expect(failures[0].message).toMatch(/closed/i);
  expect(q.send([Buffer.from('peer'), Buffer.from('y')])).toBe(false);
  expect(failures).toHaveLength(1);
});

it('sends in order, one at a time, through a real ROUTER to a DEALER', async () => {
  // Default send timeout: zeromq.js then defers the 513th send in a row, as it does for a busy server.
  const router = new zmq.Router({ linger: 0 });
  await router.bind('tcp://127.0.0.1:*');
  const dealer = new zmq.Dealer({ linger: 0, routingId: 'd1' });
  dealer.connect(router.lastEndpoint!);
  await dealer.send('hi');
  await router.receive();
  const q = new SendQueue(router, (e) => {
    throw e;
  });
  // More than zeromq.js sends synchronously in a row (512; a fire-and-forget send would then throw
  // "busy"), fewer than the ROUTER queues for one peer (1000) before it drops.
  for (let i = 0; i < 900; i++) expect(q.send([Buffer.from('d1'), Buffer.from(String(i))])).toBe(true);
  const got: string[] = [];
  for (let i = 0; i < 900; i++) got.push((await dealer.receive())[0].toString());
  expect(got).toEqual(Array.from({ length: 900 }, (_, i) => String(i)));
  dealer.close();
  router.close();
});
