import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BufferQueue } from '../../../src/bytes/index.js';
import { ServerHandshake } from '../../../src/rtmp/handshake/index.js';
import { findOnPath } from '../../helpers/process.js';

/*
 * rtmpdump (librtmp 2.4) as an oracle. librtmp does the complex (FP9) handshake only when it was
 * given SWF verification data (handshake.h: `if (encrypted || r->Link.SWFSize) FP9HandShake`), so
 * the plain case runs it as is and the complex case passes a made-up --swfhash/--swfsize. In FP9
 * mode librtmp drops the connection unless S1's digest and S2's HMAC both verify, so a connect
 * chunk arriving after the handshake is proof that it accepted our S1/S2.
 */
const RTMPDUMP = findOnPath('rtmpdump');
/** Bounds the whole exchange; rtmpdump's own -m timeout is 5 s. */
const EXCHANGE_TIMEOUT_MS = 10_000;

interface Outcome {
  complex: boolean;
  scheme: 0 | 1 | undefined;
  /** Bytes received after C2: the start of the chunk stream. */
  afterHandshake: Buffer;
  stderr: string;
}

async function handshakeWithRtmpdump(rtmpdump: string, extraArgs: string[]): Promise<Outcome> {
  const sockets = new Set<Socket>();
  const server: Server = createServer();
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const child = spawn(rtmpdump, ['-r', `rtmp://127.0.0.1:${port}/live/x`, '-o', '/dev/null', '--live', '-m', '5', '-V', ...extraArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));

  try {
    const result = await new Promise<Omit<Outcome, 'stderr'>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no connect chunk within ${EXCHANGE_TIMEOUT_MS} ms`)), EXCHANGE_TIMEOUT_MS);
      child.once('close', (code) => reject(new Error(`rtmpdump exited (${code}) before sending a chunk:\n${stderr}`)));
      server.once('connection', (socket) => {
        const handshake = new ServerHandshake();
        const queue = new BufferQueue();
        socket.on('error', reject);
        socket.on('data', (data) => {
          try {
            queue.push(data);
            if (!handshake.done) {
              for (const bytes of handshake.receive(queue).send) socket.write(bytes);
            }
            // The connect command: a chunk whose AMF0 body starts with the string "connect".
            if (handshake.done && queue.length > 0) {
              const after = Buffer.from(queue.take(queue.length));
              const { complex, scheme } = handshake;
              if (after.includes(Buffer.from('\x02\x00\x07connect', 'latin1'))) {
                clearTimeout(timer);
                resolve({ complex, scheme, afterHandshake: after });
              } else {
                queue.push(after);
              }
            }
          } catch (e) {
            reject(e);
          }
        });
      });
    });
    for (const s of sockets) s.destroy();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    return { ...result, stderr };
  } finally {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe.skipIf(RTMPDUMP === undefined)('ServerHandshake with rtmpdump (librtmp 2.4)', () => {
  it('completes a plain handshake; rtmpdump then sends connect', async () => {
    const outcome = await handshakeWithRtmpdump(RTMPDUMP!, []);
    expect(outcome.complex).toBe(false);
    expect(outcome.afterHandshake[0]! & 0x3f).toBe(3);
    expect(outcome.stderr).toMatch(/RTMP_Connect1, handshaked/);
    expect(outcome.stderr).not.toMatch(/signature does not match/);
  });

  it('completes a complex handshake (scheme 1); rtmpdump verifies S1 and S2 and sends connect', async () => {
    const outcome = await handshakeWithRtmpdump(RTMPDUMP!, ['-w', 'ab'.repeat(32), '-x', '12345']);
    expect(outcome.complex).toBe(true);
    expect(outcome.scheme).toBe(1);
    expect(outcome.afterHandshake[0]! & 0x3f).toBe(3);
    expect(outcome.stderr).toMatch(/Genuine Adobe Flash Media Server/);
    expect(outcome.stderr).toMatch(/RTMP_Connect1, handshaked/);
    expect(outcome.stderr).not.toMatch(/not genuine|Couldn't verify/);
  });
});
