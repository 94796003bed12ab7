import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtmpServer } from '../../../src/rtmp/index.js';
import { ServerSession } from '../../../src/rtmp/session/index.js';
import { FakeTransport } from './fake-transport.js';

const TRANSCRIPTS = ['obs-29.0.2-publish.c2s.bin', 'ffmpeg-5.1-publish.c2s.bin', 'gstreamer-1.22-rtmp2sink-publish.c2s.bin', 'librtmp-2.4-rtmpsink-publish.c2s.bin'];

function load(file: string): Buffer {
  return readFileSync(new URL(`../../../fixtures/rtmp/${file}`, import.meta.url));
}

/** Every media message's type, timestamp and payload digest, taken after the whole feed (so a payload that still viewed a reused buffer shows). */
function mediaOf(feed: (session: ServerSession) => void): string[] {
  const session = new ServerSession(new FakeTransport());
  const kept: { type: string; timestamp: number; payload: Uint8Array }[] = [];
  session.on('audio', (m) => kept.push({ type: 'audio', timestamp: m.timestamp, payload: m.payload }));
  session.on('video', (m) => kept.push({ type: 'video', timestamp: m.timestamp, payload: m.payload }));
  const errors: unknown[] = [];
  session.on('error', (e) => errors.push(e));
  feed(session);
  expect(errors).toEqual([]);
  return kept.map((k) => `${k.type} ${k.timestamp} ${createHash('sha1').update(k.payload).digest('hex')}`);
}

describe('ServerSession.receive(bytes, reused)', () => {
  for (const file of TRANSCRIPTS) {
    it(`${file}: read through one reused buffer in any read sizes, the same media as read whole`, () => {
      const bytes = load(file);
      const expected = mediaOf((s) => s.receive(bytes));
      expect(expected.length).toBeGreaterThan(10);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 65536 }), { minLength: 1, maxLength: 8 }), (sizes) => {
          const shared = Buffer.alloc(65536);
          const got = mediaOf((session) => {
            for (let at = 0, turn = 0; at < bytes.length; turn++) {
              const n = Math.min(sizes[turn % sizes.length]!, bytes.length - at);
              bytes.copy(shared, 0, at, at + n);
              session.receive(shared.subarray(0, n), true);
              // The next read overwrites it: whatever the session kept a view of would change.
              shared.fill(0x5a);
              at += n;
            }
          });
          expect(got).toEqual(expected);
        }),
        { numRuns: 12 },
      );
    });
  }
});

/** Publishes `bytes` over TCP to a server and returns the media it read, in order. */
async function publishOver(bytes: Buffer, sharedReadBuffer: boolean): Promise<{ media: string[]; closed: boolean }> {
  const server = new RtmpServer({ port: 0, host: '127.0.0.1', sharedReadBuffer });
  const { port } = await server.listen();
  const media: string[] = [];
  const payloads: { type: string; payload: Uint8Array }[] = [];
  server.on('session', (session) => {
    session.on('audio', (m) => payloads.push({ type: 'audio', payload: m.payload }));
    session.on('video', (m) => payloads.push({ type: 'video', payload: m.payload }));
  });
  const closed = new Promise<boolean>((resolve) => {
    server.on('sessionClose', () => resolve(true));
    setTimeout(() => resolve(false), 5000).unref();
  });
  const socket = net.connect(port, '127.0.0.1');
  socket.on('data', () => undefined);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  // In pieces of 1 000 bytes, so the server's reads cut chunks anywhere.
  for (let at = 0; at < bytes.length; at += 1000) socket.write(bytes.subarray(at, at + 1000));
  await new Promise<void>((resolve) => socket.end(() => resolve()));
  const wasClosed = await closed;
  await server.close();
  for (const p of payloads) media.push(`${p.type} ${createHash('sha1').update(p.payload).digest('hex')}`);
  return { media, closed: wasClosed };
}

describe('RtmpServer sharedReadBuffer', () => {
  it('reads a publisher the same with the shared buffer and with per-read buffers, and sees it leave', async () => {
    const bytes = load('obs-29.0.2-publish.c2s.bin');
    const shared = await publishOver(bytes, true);
    const perRead = await publishOver(bytes, false);
    expect(shared.media.length).toBeGreaterThan(10);
    expect(shared.media).toEqual(perRead.media);
    expect(shared.closed).toBe(true);
    expect(perRead.closed).toBe(true);
  });
});
