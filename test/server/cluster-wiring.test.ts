import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRegistryStore, MemoryStreamRegistry } from '../../src/cluster/index.js';
import { RtmpClient, type PublishingStream } from '../../src/rtmp/index.js';
import { createMediaServer, type MediaServer } from '../../src/server/index.js';
import { FORWARDED_HEADER, streamOfPath } from '../../src/server/cluster-wiring.js';
import { waitUntil } from '../helpers/live.js';
import { fixtureTags } from '../helpers/recording.js';

/*
 * Issue 14, the server's side of the cluster (cluster-wiring.ts), with two origins in this process
 * sharing an in-memory registry (the Redis one's rules; test/cluster covers Redis itself): a
 * publish claims its stream; the other origin forwards that stream's requests to the owner; a
 * publish of the same stream on the other origin takes it over: the old owner ends its publish
 * (ERR_MEDIA_TAKEN_OVER) and forwards from then on, and the new owner's playlists continue the old
 * one's numbers (one skipped, never reused) with one EXT-X-DISCONTINUITY. Each owner's object
 * names carry its claim's epoch (`e1-3.m4s` at the first, `e2-…` at the second).
 */

interface Origin {
  readonly server: MediaServer;
  readonly rtmpPort: number;
  readonly httpUrl: string;
}

const opened: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close().catch(() => undefined);
});

async function origin(id: string, store: MemoryRegistryStore): Promise<Origin> {
  const server = createMediaServer({
    rtmp: { port: 0, host: '127.0.0.1' },
    http: { port: 0, host: '127.0.0.1' },
    cluster: { registry: (baseUrl) => new MemoryStreamRegistry({ originId: id, baseUrl, store }) },
  });
  const { rtmp, http } = await server.listen();
  opened.push(() => server.close());
  return { server, rtmpPort: rtmp.port, httpUrl: `http://127.0.0.1:${http.port}` };
}

/** Publishes the 10 s fixture to `live/<key>` as fast as it is written; the stream stays published. */
async function publish(to: Origin, key: string): Promise<{ stream: PublishingStream; client: RtmpClient }> {
  const client = await RtmpClient.connect(`rtmp://127.0.0.1:${to.rtmpPort}/live`);
  opened.push(() => client.close());
  const stream = await client.publish(key);
  for (const t of fixtureTags()) {
    if (t.type === 8) stream.writeAudio(t.timestamp, t.body);
    else if (t.type === 9) stream.writeVideo(t.timestamp, t.body);
  }
  return { stream, client };
}

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { headers });
  return { status: response.status, body: await response.text() };
}

function segmentsOf(playlist: string): Array<{ msn: number; discontinuity: boolean }> {
  return segmentNames(playlist).map(({ msn, discontinuity }) => ({ msn, discontinuity }));
}

/** The segments of a media playlist with the epoch their names carry (undefined: no prefix). */
function segmentNames(playlist: string): Array<{ msn: number; discontinuity: boolean; epoch: number | undefined }> {
  const out: Array<{ msn: number; discontinuity: boolean; epoch: number | undefined }> = [];
  let tagged = false;
  for (const line of playlist.split('\n')) {
    if (line === '#EXT-X-DISCONTINUITY') tagged = true;
    const m = /^(?:e(\d+)-)?(\d+)\.m4s$/.exec(line);
    if (m !== null) {
      out.push({ msn: Number(m[2]), discontinuity: tagged, epoch: m[1] === undefined ? undefined : Number(m[1]) });
      tagged = false;
    }
  }
  return out;
}

describe('cluster wiring: claims, forwarding, takeover', () => {
  it('GET /api/cluster answers 404 on a server without the cluster option', async () => {
    const server = createMediaServer({ rtmp: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1' } });
    const { http } = await server.listen();
    opened.push(() => server.close());
    expect((await get(`http://127.0.0.1:${http.port}/api/cluster`)).status).toBe(404);
  });

  it('streamOfPath names the stream of a stream path, after a play session, and nothing else', () => {
    expect(streamOfPath('/live/cam/video/index.m3u8?_HLS_msn=3')).toBe('live/cam');
    expect(streamOfPath('/t/abc.def/live/cam/index.m3u8')).toBe('live/cam');
    expect(streamOfPath('/live/c%61m/manifest.mpd')).toBe('live/cam');
    expect(streamOfPath('/metrics')).toBeUndefined();
    expect(streamOfPath('/api/streams')).toBeUndefined();
    expect(streamOfPath('/live/%E0%A4%A/x')).toBeUndefined();
  });

  it('the other origin forwards the owner’s stream; a publish there takes it over and continues the playlists', async () => {
    const store = new MemoryRegistryStore();
    const a = await origin('a', store);
    const b = await origin('b', store);

    const first = await publish(a, 'cam');
    await waitUntil(async () => segmentsOf((await get(`${a.httpUrl}/live/cam/video/index.m3u8`)).body).length >= 4, 10_000, 'segments at a');
    expect(a.server.cluster!.registry.lookup('live/cam')).toMatchObject({ owner: 'a', epoch: 1 });
    // The control API shows each origin's view: a holds the claim, b knows who owns the stream.
    const viewA = JSON.parse((await get(`${a.httpUrl}/api/cluster`)).body) as { originId: string; health: string; claims: unknown[]; streams: Array<{ key: string; owner: string; epoch: number; msn: number }> };
    expect(viewA).toMatchObject({ originId: 'a', health: 'ok', claims: [{ key: 'live/cam', epoch: 1, confirmed: true }] });
    const viewB = JSON.parse((await get(`${b.httpUrl}/api/cluster`)).body) as typeof viewA;
    expect(viewB.claims).toEqual([]);
    expect(viewB.streams).toEqual([expect.objectContaining({ key: 'live/cam', owner: 'a', epoch: 1, baseUrl: a.httpUrl })]);

    // b owns nothing: it forwards to a, and answers what a answers.
    const atA = await get(`${a.httpUrl}/live/cam/video/index.m3u8`);
    const viaB = await get(`${b.httpUrl}/live/cam/video/index.m3u8`);
    expect(viaB.status).toBe(200);
    expect(segmentsOf(viaB.body)).toEqual(segmentsOf(atA.body));
    const lastAtA = segmentsOf(atA.body).at(-1)!.msn;
    // A stream nobody owns is b's own answer (404), not a forward.
    expect((await get(`${b.httpUrl}/live/nobody/video/index.m3u8`)).status).toBe(404);

    // The publisher moves to b: b claims (epoch 2); a is fenced and ends its publish.
    const ended = new Promise<string>((resolve) => first.client.once('close', () => resolve('closed')));
    await publish(b, 'cam');
    expect(b.server.cluster!.registry.lookup('live/cam')).toMatchObject({ owner: 'b', epoch: 2 });
    await expect(Promise.race([ended, new Promise((r) => setTimeout(() => r('still open'), 5000))])).resolves.toBe('closed');

    await waitUntil(async () => segmentsOf((await get(`${b.httpUrl}/live/cam/video/index.m3u8`)).body).length >= 2, 10_000, 'segments at b');
    const atB = await get(`${b.httpUrl}/live/cam/video/index.m3u8`);
    const continued = segmentsOf(atB.body);
    // One number skipped (a segment a made after its last report would have it), none reused.
    expect(continued[0]).toEqual({ msn: lastAtA + 2, discontinuity: true });
    expect(continued.slice(1).every((s) => !s.discontinuity)).toBe(true);
    expect(atB.body).toContain('#EXT-X-DISCONTINUITY-SEQUENCE:0');
    // Each owner names its objects with its claim's epoch: no name of a's is ever one of b's.
    expect(new Set(segmentNames(atA.body).map((s) => s.epoch))).toEqual(new Set([1]));
    expect(new Set(segmentNames(atB.body).map((s) => s.epoch))).toEqual(new Set([2]));
    expect(atA.body).toMatch(/#EXT-X-MAP:URI="e1-init-0\.mp4"/);
    expect(atB.body).toMatch(/#EXT-X-MAP:URI="e2-init-0\.mp4"/);

    // a now forwards to b; a forwarded request is answered where it lands, never forwarded again.
    const viaA = await get(`${a.httpUrl}/live/cam/video/index.m3u8`);
    expect(segmentsOf(viaA.body)[0]).toEqual({ msn: lastAtA + 2, discontinuity: true });
    const local = await get(`${a.httpUrl}/live/cam/video/index.m3u8`, { [FORWARDED_HEADER]: 'edge-test' });
    expect(segmentsOf(local.body).at(-1)!.msn).toBeLessThanOrEqual(lastAtA + 1);
  });

  it('a blocking reload parked at the old owner is answered (503, not cached) as soon as the stream moves, not after the hold', async () => {
    const store = new MemoryRegistryStore();
    const a = await origin('a', store);
    const b = await origin('b', store);
    await publish(a, 'mv');
    await waitUntil(async () => segmentsOf((await get(`${a.httpUrl}/live/mv/video/index.m3u8`)).body).length >= 2, 10_000, 'segments at a');
    const last = segmentsOf((await get(`${a.httpUrl}/live/mv/video/index.m3u8`)).body).at(-1)!.msn;
    // Parked at a (forwarded header: answered where it lands) for a part a will never make.
    const parked = fetch(`${a.httpUrl}/live/mv/video/index.m3u8?_HLS_msn=${last + 3}&_HLS_part=0`, { headers: { [FORWARDED_HEADER]: 'edge-test' } });
    await waitUntil(() => a.server.liveDelivery.parked > 0, 5000, 'the request parked at a');
    const movedAt = Date.now();
    await publish(b, 'mv');
    const answer = await parked;
    expect(answer.status).toBe(503);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(Date.now() - movedAt).toBeLessThan(2000);
    expect(a.server.liveDelivery.parked).toBe(0);
  });

  it('a blocking reload parked at an origin whose publisher left is answered at once when another origin claims the stream', async () => {
    const store = new MemoryRegistryStore();
    const a = await origin('a', store);
    const b = await origin('b', store);
    const { client } = await publish(a, 'left');
    await waitUntil(async () => segmentsOf((await get(`${a.httpUrl}/live/left/video/index.m3u8`)).body).length >= 2, 10_000, 'segments at a');
    const last = segmentsOf((await get(`${a.httpUrl}/live/left/video/index.m3u8`)).body).at(-1)!.msn;
    const parked = fetch(`${a.httpUrl}/live/left/video/index.m3u8?_HLS_msn=${last + 3}&_HLS_part=0`, { headers: { [FORWARDED_HEADER]: 'edge-test' } });
    await waitUntil(() => a.server.liveDelivery.parked > 0, 5000, 'the request parked at a');
    await client.close();
    await waitUntil(() => a.server.cluster!.registry.lookup('live/left') === undefined, 5000, 'the release');
    const movedAt = Date.now();
    await publish(b, 'left');
    expect((await parked).status).toBe(503);
    expect(Date.now() - movedAt).toBeLessThan(2000);
  });

  it('for the end grace after another origin released a stream, its requests still go there (its last playlists), not a 404', async () => {
    const store = new MemoryRegistryStore();
    const a = await origin('a', store);
    const b = await origin('b', store);
    const { client } = await publish(a, 'rel');
    await waitUntil(async () => segmentsOf((await get(`${a.httpUrl}/live/rel/video/index.m3u8`)).body).length >= 2, 10_000, 'segments at a');
    expect(b.server.cluster!.registry.lookup('live/rel')?.owner).toBe('a');
    await client.close();
    await waitUntil(() => b.server.cluster!.registry.lookup('live/rel') === undefined, 5000, 'the release seen at b');
    const viaB = await get(`${b.httpUrl}/live/rel/video/index.m3u8`);
    expect(viaB.status).toBe(200);
    expect(segmentsOf(viaB.body).length).toBeGreaterThanOrEqual(2);
    // A stream nobody had stays b's own 404.
    expect((await get(`${b.httpUrl}/live/never/video/index.m3u8`)).status).toBe(404);
  });
});
