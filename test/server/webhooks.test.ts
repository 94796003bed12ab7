import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookDispatcher } from '../../src/server/webhooks.js';

/** WebhookDispatcher against a local receiver: filters, give-up after maxAttempts, the bounded queue, a plain secret. */

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function receiver(status: (n: number, body: string) => number): Promise<{ url: string; bodies: Array<{ headers: Record<string, string>; body: string }> }> {
  const bodies: Array<{ headers: Record<string, string>; body: string }> = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push({ headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status(bodies.length, bodies.at(-1)!.body)).end();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/`, bodies };
}

const until = async (test: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !test(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('WebhookDispatcher', () => {
  it('sends only the types an endpoint asks for (a * suffix a prefix); a plain secret signs as its bytes', async () => {
    const r = await receiver(() => 200);
    const d = new WebhookDispatcher({ endpoints: [{ url: r.url, secret: 'plain secret', events: ['stream.*'] }] });
    d.send('session.opened', { app: 'live', streamKey: 'a' }, 'live/a');
    d.send('stream.started', { app: 'live', streamKey: 'a' }, 'live/a');
    await until(() => d.pending === 0);
    expect(r.bodies.map((b) => JSON.parse(b.body).type)).toEqual(['stream.started']);
    // The reference library takes the secret base64-encoded behind whsec_.
    const verifier = new Webhook(`whsec_${Buffer.from('plain secret').toString('base64')}`);
    expect(() => verifier.verify(r.bodies[0]!.body, r.bodies[0]!.headers)).not.toThrow();
    d.close();
  });

  it('retries a failing endpoint, then gives the event up after maxAttempts and goes on with the next', async () => {
    const r = await receiver((n) => (n <= 3 ? 500 : 200));
    const d = new WebhookDispatcher({ endpoints: [{ url: r.url, secret: 'whsec_AAAA' }], maxAttempts: 3, retryBaseMs: 5, retryMaxMs: 10 });
    const failures: boolean[] = [];
    d.on('deliveryFailed', (_url, _event, _error, gaveUp) => failures.push(gaveUp));
    const first = d.send('stream.started', {}, 's');
    const second = d.send('stream.ended', {}, 's');
    await until(() => d.pending === 0);
    expect(failures).toEqual([false, false, true]);
    expect(r.bodies.map((b) => JSON.parse(b.body).id)).toEqual([first.id, first.id, first.id, second.id]);
    expect(d.counters).toEqual({ delivered: 1, failedAttempts: 3, givenUp: 1, dropped: 0 });
    d.close();
  });

  it('a full queue drops the newest events and counts them; other streams are not held up by a stream being retried', async () => {
    let failed = false;
    // The first delivery of event 1 fails (whichever request arrives first).
    const r = await receiver((_n, body) => (JSON.parse(body).data.n === 1 && !failed ? ((failed = true), 503) : 200));
    const d = new WebhookDispatcher({ endpoints: [{ url: r.url, secret: 'whsec_AAAA' }], maxQueued: 3, retryBaseMs: 200, retryMaxMs: 200 });
    d.send('stream.started', { n: 1 }, 'slow'); // fails once, retried after 100–200 ms
    d.send('stream.ended', { n: 2 }, 'slow');
    d.send('stream.started', { n: 3 }, 'fast');
    d.send('stream.ended', { n: 4 }, 'fast'); // dropped: three are queued
    expect(d.counters.dropped).toBe(1);
    await until(() => d.pending === 0);
    const order = r.bodies.map((b) => JSON.parse(b.body).data.n);
    // 'fast' went while 'slow' waited for its retry; 'slow' kept its order.
    expect(order.slice(-2)).toEqual([1, 2]);
    expect([...order].sort()).toEqual([1, 1, 2, 3]);
    d.close();
  });
});
