import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runLoadgen } from '../../src/cli/loadgen.js';
import { createMediaServer } from '../../src/server/index.js';
import { fixturePath } from '../helpers/ffmpeg.js';

/**
 * `--reconnect`: the publisher's connection is cut mid-run (a TCP relay in front of the RTMP port
 * drops every connection, as a dead origin behind a balancer would), the publisher publishes again
 * and the viewers carry on.
 */

/** A TCP relay to `port` whose connections `cut()` destroys. */
async function relay(port: number): Promise<{ port: number; cut: () => number; close: () => Promise<void> }> {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => b.destroy());
      open.add(a);
      a.on('close', () => open.delete(a));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    cut: () => {
      const n = open.size;
      for (const s of open) s.destroy();
      return n;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('loadgen publisher --reconnect', () => {
  it('publishes again after its connection is cut; viewers keep getting parts', async () => {
    const server = createMediaServer({ rtmp: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1' }, endGraceMs: 3000 });
    const { rtmp, http } = await server.listen();
    const proxy = await relay(rtmp.port);
    const publishes: number[] = [];
    server.on('publish', () => publishes.push(Date.now()));
    const parts: number[] = [];
    server.on('part', () => parts.push(Date.now()));
    const partsAfter = (t: number): number => parts.filter((at) => at > t).length;
    try {
      const run = runLoadgen({
        url: `http://127.0.0.1:${http.port}/live/rc/index.m3u8`,
        viewers: 4,
        durationSeconds: 9,
        rampSeconds: 0,
        publishers: 1,
        publishUrl: `rtmp://127.0.0.1:${proxy.port}/live/rc`,
        file: fixturePath('media/h264-aac.flv'),
        reconnect: true,
      });
      await new Promise((r) => setTimeout(r, 4000));
      expect(proxy.cut()).toBe(2);
      const report = await run;
      // How the cut reaches the publisher depends on timing: a close, or a write into the closed socket.
      expect(report.publishers[0]).toMatchObject({ reconnects: 1, error: expect.stringMatching(/connection closed|EPIPE|ECONNRESET/) });
      expect(publishes).toHaveLength(2);
      expect(report.viewers.joined).toBe(4);
      expect(report.errors).toMatchObject({ serverErrors: 0, network: 0 });
      // The server kept the stream through its end grace (3 s): one playlist, no going back, no skipped part.
      expect(report.continuity).toEqual({ errors: 0, first: [] });
      for (const [kind, k] of Object.entries(report.kinds)) expect(Object.keys(k.statuses), kind).toEqual(['200']);
      // Parts kept coming after the second publish, and the viewers kept getting them: a blocking
      // reload per part per rendition, about 4 × 2 × (9 s − the first segment − the ~1.5 s gap) / 0.2 s.
      expect(partsAfter(publishes[1]!)).toBeGreaterThan(20);
      expect(report.kinds.blocking!.count).toBeGreaterThan((4 * 2 * (9 - 2.5 - 2.5)) / 0.2);
    } finally {
      await proxy.close();
      await server.close();
    }
  });
});
