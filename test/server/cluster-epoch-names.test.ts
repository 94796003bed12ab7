import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryRegistryStore, MemoryStreamRegistry } from '../../src/cluster/index.js';
import { parseLiveObjectName } from '../../src/hls/index.js';
import { planPut } from '../../src/server/object-storage-plan.js';
import { scanRecordings } from '../../src/server/index.js';
import type { StoreTap } from '../../src/server/store-taps.js';
import { joinPieces } from '../../src/store/index.js';
import { filesUnder, listedUris, readText, startRecordingServer } from '../helpers/recording.js';

/*
 * Issue 14, "object URIs carry the epoch": an origin in cluster mode names every object of a
 * stream with its claim's epoch (cluster-wiring.ts → packagerOptions → the packager), from the
 * first claim on: HLS (map, segments, parts, hint), the DASH MPD and MPEG-TS follow; a part of
 * another epoch is a 404 at once; a recording keeps the plain names and the packager's bytes;
 * object storage uploads the media under the names the playlists list.
 */

describe('cluster mode: object names carry the claim’s epoch', () => {
  it('over HTTP, in the DASH MPD, the TS playlist and the recording', async () => {
    const stored = new Map<string, Uint8Array>();
    const capture: StoreTap = { put: (path, file) => void (/\.(m4s|mp4)$/.test(path) && stored.set(path, joinPieces(file))), delete: () => undefined };
    const registry = new MemoryRegistryStore();
    const rec = await startRecordingServer({
      record: { streams: 'all' },
      storeTaps: [capture],
      cluster: { registry: (baseUrl) => new MemoryStreamRegistry({ originId: 'a', baseUrl, store: registry }) },
    });
    try {
      const base = `http://127.0.0.1:${(rec.server.http.server.address() as AddressInfo).port}/live/cam`;
      const get = async (path: string): Promise<{ status: number; body: string }> => {
        const response = await fetch(`${base}/${path}`);
        return { status: response.status, body: await response.text() };
      };
      const { stream } = await rec.publish('cam', 6500);
      await expect.poll(() => rec.events.filter((e) => e.type === 'segment_completed').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
      const epoch = rec.server.cluster!.registry.claims().get('live/cam')!.epoch;
      expect(epoch).toBe(1);

      const playlist = (await get('video/index.m3u8')).body;
      expect(playlist).toContain(`#EXT-X-MAP:URI="e${epoch}-init-0.mp4"`);
      const segments = listedUris(playlist);
      expect(segments.length).toBeGreaterThanOrEqual(3);
      expect(segments.every((u) => parseLiveObjectName(u)?.kind === 'segment' && parseLiveObjectName(u)?.epoch === epoch)).toBe(true);
      const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="(e1-(\d+)\.(\d+)\.m4s)"/.exec(playlist);
      expect(hint).not.toBeNull();
      const lastListed = parseLiveObjectName(segments.at(-1)!) as { msn: number };

      // The objects under their names; the plain names of before are not there.
      expect((await get(`video/e${epoch}-init-0.mp4`)).status).toBe(200);
      expect((await get(`video/${segments.at(-1)}`)).status).toBe(200);
      expect((await get(`video/e${epoch}-${lastListed.msn}.0.m4s`)).status).toBe(200);
      expect((await get('video/init-0.mp4')).status).toBe(404);
      expect((await get(`video/${lastListed.msn}.m4s`)).status).toBe(404);
      // A part of another epoch never appears: a 404 at once, listed number or hinted one alike.
      const started = Date.now();
      expect((await get(`video/e${epoch + 1}-${lastListed.msn}.0.m4s`)).status).toBe(404);
      expect((await get(`video/e${epoch + 1}-${hint![2]}.${hint![3]}.m4s`)).status).toBe(404);
      expect((await get(`video/${hint![2]}.${hint![3]}.m4s`)).status).toBe(404);
      expect(Date.now() - started).toBeLessThan(1000);

      const mpd = (await get('manifest.mpd')).body;
      expect(mpd).toContain(`initialization="video/e${epoch}-init-0.mp4" media="video/e${epoch}-$Number$.m4s"`);
      expect(mpd).toContain(`initialization="audio/e${epoch}-init-0.mp4" media="audio/e${epoch}-$Number$.m4s"`);

      // LL-DASH asks for the segment being written by its number: answered chunked under its own epoch's name only.
      const open = Number(hint![2]);
      expect(Number(hint![3])).toBeGreaterThan(0);
      const abort = new AbortController();
      const chunked = await fetch(`${base}/video/e${epoch}-${open}.m4s`, { signal: abort.signal });
      expect(chunked.status).toBe(200);
      abort.abort();
      expect((await get(`video/e${epoch + 1}-${open}.m4s`)).status).toBe(404);
      expect((await get(`video/${open}.m4s`)).status).toBe(404);

      const ts = await get('ts.m3u8');
      expect(ts.status).toBe(200);
      const tsSegments = ts.body.split('\n').filter((l) => l.endsWith('.ts'));
      expect(tsSegments.length).toBeGreaterThan(0);
      for (const uri of tsSegments) expect(uri).toMatch(new RegExp(`^ts/e${epoch}-\\d+\\.ts$`));
      expect((await get(tsSegments[0]!)).status).toBe(200);

      stream.unpublish();
      await expect.poll(() => rec.events.filter((e) => e.type === 'completed').length, { timeout: 10_000 }).toBe(1);
      const [info] = await scanRecordings(rec.dir);
      const folder = join(rec.dir, info!.id);
      const files = await filesUnder(folder);
      // The recording has the plain names, and the packager's bytes under them.
      expect(files.filter((f) => /(^|\/)e\d+-/.test(f))).toEqual([]);
      expect(files).toContain('video/init-0.mp4');
      const recorded = listedUris(await readText(join(folder, 'video/index.m3u8')));
      expect(recorded.length).toBeGreaterThanOrEqual(3);
      expect(await readText(join(folder, 'video/index.m3u8'))).toContain('#EXT-X-MAP:URI="init-0.mp4"');
      for (const name of [...recorded, 'init-0.mp4']) {
        expect(name).toMatch(/^(\d+\.m4s|init-0\.mp4)$/);
        const onDisk = new Uint8Array(await readFile(join(folder, 'video', name)));
        expect(Buffer.compare(onDisk, stored.get(`live/cam/video/e${epoch}-${name}`)!), name).toBe(0);
      }
    } finally {
      await rec.close();
    }
  });
});

describe('object storage plan: epoch-prefixed names', () => {
  it('uploads segments and init segments under their listed names; parts stay at the origin', () => {
    const ll = new Set<string>();
    const plan = (path: string): string | undefined => {
      const p = planPut(path, (s) => ll.has(s));
      if (p.lowLatency && p.stream !== undefined) ll.add(p.stream);
      return p.target === undefined ? undefined : `${p.target.kind} ${p.target.objectPath}`;
    };
    expect(plan('live/b/video/e7-0.0.m4s')).toBeUndefined(); // a part: and it says LL-HLS
    expect(plan('live/b/video/index.m3u8')).toBeUndefined();
    expect(plan('live/b/video/plain.m3u8')).toBe('playlist live/b/video/index.m3u8');
    expect(plan('live/b/video/e7-init-0.mp4')).toBe('init live/b/video/e7-init-0.mp4');
    expect(plan('live/b/video/e7-12.m4s')).toBe('segment live/b/video/e7-12.m4s');
    expect(plan('live/b/video/e7-x.m4s')).toBeUndefined();
    expect(plan('live/b/video/e07-12.m4s')).toBeUndefined();
  });
});
