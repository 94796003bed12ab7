import { afterEach, describe, expect, it } from 'vitest';
import { createMediaServer, type MediaServer } from '../../src/server/index.js';
import { RtmpClient, type StatusInfo } from '../../src/rtmp/index.js';
import { loadFixtureTags, withTimeout, writeTag } from '../helpers/rtmp.js';

/*
 * A second publisher takes a live key over (the hub's takeover policy): the first one's session
 * is told why (NetStream.Failed, ERR_MEDIA_PUBLISHER_REPLACED) and closed within a second, and the
 * stream goes on with the newer publisher's media, without an 'unpublish' in between.
 */

const tags = loadFixtureTags();
let server: MediaServer | undefined;
const clients: RtmpClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  server = undefined;
});

async function publisher(port: number, statuses: StatusInfo[]): Promise<{ client: RtmpClient; closed: Promise<number>; send: (from: number, to: number, offsetMs: number) => void }> {
  const client = await RtmpClient.connect(`rtmp://127.0.0.1:${port}/live`);
  clients.push(client);
  client.on('status', (info) => statuses.push(info));
  const closed = new Promise<number>((resolve) => client.once('close', () => resolve(performance.now())));
  const stream = await client.publish('key');
  return { client, closed, send: (from, to, offsetMs) => tags.slice(from, to).forEach((tag) => writeTag(stream, tag, tag.timestamp + offsetMs)) };
}

describe('MediaServer: a publisher taken over', () => {
  it('closes the replaced session within 1 s with a status message; the stream continues from the new one', async () => {
    server = createMediaServer({ rtmp: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1' }, hub: { takeoverPolicy: 'takeover' } });
    const { rtmp } = await server.listen();
    const events: string[] = [];
    server.on('publish', (s) => events.push(`publish ${s.app}/${s.streamKey}`));
    server.on('unpublish', (s) => events.push(`unpublish ${s.app}/${s.streamKey}`));

    const firstStatuses: StatusInfo[] = [];
    const first = await publisher(rtmp.port, firstStatuses);
    first.send(0, 60, 0);
    const stream = server.hub.stream('live', 'key')!;
    await withTimeout(
      (async () => {
        while (stream.counters.samples === 0) await new Promise((r) => setTimeout(r, 10));
      })(),
      5000,
      'first publisher media',
    );

    const secondStatuses: StatusInfo[] = [];
    const takeoverAt = performance.now();
    const second = await publisher(rtmp.port, secondStatuses);
    const closedAt = await withTimeout(first.closed, 1000, 'replaced session closed');
    expect(closedAt - takeoverAt).toBeLessThan(1000);
    expect(firstStatuses.map((s) => s.code)).toEqual(['NetStream.Publish.Start', 'NetStream.Failed']);
    expect(firstStatuses[1]).toMatchObject({ level: 'error', details: 'ERR_MEDIA_PUBLISHER_REPLACED' });
    expect(String(firstStatuses[1]!.description)).toContain('live/key was taken over by a newer publish');
    expect(secondStatuses.map((s) => s.code)).toEqual(['NetStream.Publish.Start']);

    // The stream goes on with the second publisher's media: its samples reach the hub.
    const before = stream.counters.samples;
    second.send(0, 120, 10_000);
    await withTimeout(
      (async () => {
        while (stream.counters.samples < before + 100) await new Promise((r) => setTimeout(r, 10));
      })(),
      5000,
      'second publisher media',
    );
    expect(stream.state).toBe('live');
    expect(second.client.session.closed).toBe(false);
    expect(events).toEqual(['publish live/key', 'publish live/key']);
  });
});
