import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegPath, ffprobePath, runFfprobeJson, spawnFfmpeg } from '../helpers/ffmpeg.js';
import { getText, nextPublish, startLiveServer, waitUntil, type LiveServer } from '../helpers/live.js';
import { mpdProblems, parseXml, type XmlElement } from '../helpers/mpd-check.js';
import { withTimeout } from '../helpers/process.js';

/*
 * DASH from a live server (issue 11): ffmpeg publishes the fixture (2 s GOPs) in real time to
 * live/dash; the MPDs are read over HTTP and checked against the HLS playlists of the same stream,
 * ffprobe reads manifest.mpd, and the segment being written is fetched as a chunked answer. A
 * second publisher with 4 s GOPs (lavfi) gets the regular MPD at manifest-ll.mpd, with the reason
 * in /api/streams and the lowLatencyChange event.
 */

const ffmpeg = await ffmpegPath();
const ffprobe = await ffprobePath();
const skip = ffmpeg === undefined || ffprobe === undefined ? 'ffmpeg/ffprobe not found (FFMPEG_PATH, PATH, @ffmpeg-installer)' : undefined;

let live: LiveServer;
const lowLatencyChanges: Array<[string, string | undefined]> = [];

beforeAll(async () => {
  if (skip !== undefined) return;
  live = await startLiveServer({});
  live.server.dash.on('lowLatencyChange', (group, reason) => lowLatencyChanges.push([group, reason]));
  await live.publish('dash', { seconds: 10, timeoutMs: 30_000 });
  // 4 s GOPs: segments twice the 2 s target.
  const accepted = nextPublish(live.server, 'gop4');
  await spawnFfmpeg(
    ['-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '120', '-keyint_min', '120', '-sc_threshold', '0', '-pix_fmt', 'yuv420p', '-t', '11', '-f', 'flv', live.rtmpUrl('live/gop4')],
    { timeoutMs: 30_000 },
  );
  await withTimeout(accepted, 10_000, 'publish of live/gop4');
  const listed = (rendition: string): number => live.server.liveDelivery.snapshot('live/dash', rendition)?.timeline.segments.length ?? 0;
  await waitUntil(() => listed('video') >= 3 && listed('audio') >= 3, 15_000, 'three segments of live/dash');
}, 40_000);

afterAll(async () => {
  await live?.close();
});

function children(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}

describe.skipIf(skip !== undefined)(`DASH from a live publish${skip === undefined ? '' : ` (skipped: ${skip})`}`, () => {
  it('manifest.mpd: well-formed, in the schema\'s order, one AdaptationSet per track over the HLS files, every segment at its HLS date', async () => {
    const res = await fetch(live.httpUrl('live/dash/manifest.mpd'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/dash+xml');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const text = await res.text();
    expect(mpdProblems(text)).toEqual([]);
    const mpd = parseXml(text);
    expect(mpd.attributes).toMatchObject({ type: 'dynamic', minimumUpdatePeriod: 'PT1S', suggestedPresentationDelay: 'PT4S', timeShiftBufferDepth: 'PT10S' });
    expect(children(mpd, 'UTCTiming').map((u) => u.attributes)).toEqual([{ schemeIdUri: 'urn:mpeg:dash:utc:http-xsdate:2014', value: '/time' }]);
    const [period] = children(mpd, 'Period');
    const sets = children(period!, 'AdaptationSet');
    expect(sets.map((s) => s.attributes['contentType'])).toEqual(['video', 'audio']);
    const ast = Date.parse(mpd.attributes['availabilityStartTime']!);
    const periodStart = Number(/^PT([\d.]+)S$/.exec(period!.attributes['start']!)![1]) * 1000;
    let compared = 0;
    for (const set of sets) {
      const [rep] = children(set, 'Representation');
      const [tmpl] = children(rep!, 'SegmentTemplate');
      const name = rep!.attributes['id']!;
      expect(tmpl!.attributes['media']).toBe(`${name}/$Number$.m4s`);
      // The HLS media playlist of the same rendition: its dates by segment number.
      const playlist = (await getText(live.httpUrl(`live/dash/${name}/index.m3u8`)))!;
      const first = Number(/^#EXT-X-MEDIA-SEQUENCE:(\d+)$/m.exec(playlist)![1]);
      const dates = [...playlist.matchAll(/^#EXT-X-PROGRAM-DATE-TIME:(\S+)$/gm)].map((m) => Date.parse(m[1]!));
      const timescale = Number(tmpl!.attributes['timescale']);
      const pto = Number(tmpl!.attributes['presentationTimeOffset']);
      let number = Number(tmpl!.attributes['startNumber']);
      let t = 0;
      for (const s of children(children(tmpl!, 'SegmentTimeline')[0]!, 'S')) {
        if (s.attributes['t'] !== undefined) t = Number(s.attributes['t']);
        for (let r = 0; r <= Number(s.attributes['r'] ?? 0); r++) {
          const date = dates[number - first];
          if (date !== undefined) {
            expect(Math.abs(ast + periodStart + ((t - pto) * 1000) / timescale - date), `${name} segment ${number}`).toBeLessThan(1);
            compared += 1;
          }
          // The segment itself is there, at the URL the template makes.
          if (r === 0) expect((await fetch(live.httpUrl(`live/dash/${name}/${number}.m4s`), { method: 'HEAD' })).status).toBe(200);
          t += Number(s.attributes['d']);
          number += 1;
        }
      }
      expect((await fetch(live.httpUrl(`live/dash/${tmpl!.attributes['initialization']}`), { method: 'HEAD' })).status).toBe(200);
    }
    expect(compared, text).toBeGreaterThanOrEqual(6);
  });

  it('manifest-ll.mpd: $Number$ + @duration with availabilityTimeOffset, ServiceDescription and ProducerReferenceTime', async () => {
    const text = (await getText(live.httpUrl('live/dash/manifest-ll.mpd')))!;
    expect(mpdProblems(text)).toEqual([]);
    const mpd = parseXml(text);
    expect(children(mpd, 'ServiceDescription')).toHaveLength(1);
    expect(mpd.attributes['suggestedPresentationDelay']).toBeUndefined();
    for (const set of children(children(mpd, 'Period')[0]!, 'AdaptationSet')) {
      expect(children(set, 'ProducerReferenceTime')).toHaveLength(1);
      const tmpl = children(children(set, 'Representation')[0]!, 'SegmentTemplate')[0]!;
      expect(tmpl.attributes).toMatchObject({ availabilityTimeComplete: 'false' });
      expect(Number(tmpl.attributes['availabilityTimeOffset'])).toBeGreaterThan(1.7);
      expect(Number(tmpl.attributes['duration']) / Number(tmpl.attributes['timescale'])).toBe(2);
      expect(children(tmpl, 'SegmentTimeline')).toHaveLength(0);
    }
  });

  it('/time: the server\'s clock as ISO 8601 with milliseconds, not cached, open to other origins', async () => {
    const before = Date.now();
    const res = await fetch(live.httpUrl('time'));
    const after = Date.now();
    const text = await res.text();
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(text)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(text)).toBeLessThanOrEqual(after + 1);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('the segment being written is answered at once, chunked, part by part; its bytes are the final file; two ahead is 404 at once', async () => {
    const timeline = live.server.liveDelivery.snapshot('live/dash', 'video')!.timeline;
    const msn = timeline.open?.msn ?? timeline.nextMsn;
    const started = performance.now();
    const res = await fetch(live.httpUrl(`live/dash/video/${msn}.m4s`));
    expect(res.status).toBe(200);
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(res.headers.get('content-length')).toBeNull();
    const reads: number[] = [];
    const chunks: Uint8Array[] = [];
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      reads.push(performance.now() - started);
    }
    // Parts come as they are made (0.2 s apart), not all at the end.
    expect(reads.at(-1)! - reads[0]!).toBeGreaterThan(500);
    const final = new Uint8Array(await (await fetch(live.httpUrl(`live/dash/video/${msn}.m4s`))).arrayBuffer());
    expect(Buffer.compare(Buffer.concat(chunks), Buffer.from(final))).toBe(0);
    const aheadAt = performance.now();
    const ahead = await fetch(live.httpUrl(`live/dash/video/${msn + 3}.m4s`));
    await ahead.arrayBuffer();
    expect(ahead.status).toBe(404);
    expect(performance.now() - aheadAt).toBeLessThan(200);
    expect(live.server.dash.counters.chunkedCompleted).toBeGreaterThanOrEqual(1);
  });

  it('ffprobe reads manifest.mpd: both streams, frames decoded', async () => {
    const probe = await runFfprobeJson<{ streams: Array<{ codec_name: string; nb_read_frames: string }> }>([
      '-v', 'error', '-read_intervals', '%+3', '-count_frames', '-show_entries', 'stream=codec_name,nb_read_frames', '-of', 'json', live.httpUrl('live/dash/manifest.mpd'),
    ]); // prettier-ignore
    expect(probe.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    for (const s of probe.streams) expect(Number(s.nb_read_frames)).toBeGreaterThan(30);
  });

  it('4 s keyframe intervals: manifest-ll.mpd is the regular MPD, and /api/streams and the event say why', async () => {
    await waitUntil(async () => (await getText(live.httpUrl('live/gop4/manifest.mpd'))) !== undefined, 15_000, 'the MPD of live/gop4');
    await waitUntil(async () => ((await getText(live.httpUrl('live/gop4/manifest-ll.mpd'))) ?? '').includes('<SegmentTimeline>'), 15_000, 'two segments of live/gop4');
    const text = (await getText(live.httpUrl('live/gop4/manifest-ll.mpd')))!;
    expect(text).toContain('suggestedPresentationDelay="PT4S"');
    expect(text).not.toContain('availabilityTimeComplete');
    const reason = 'segment 0 of video lasts 4.000 s, not the 2 s segment target: set the encoder\'s keyframe interval to 2 s';
    const streams = (await (await fetch(live.httpUrl('api/streams'))).json()) as { streams: Array<{ streamKey: string; dash: object }> };
    expect(streams.streams.find((s) => s.streamKey === 'gop4')!.dash).toEqual({ mpd: '/live/gop4/manifest.mpd', lowLatencyMpd: '/live/gop4/manifest-ll.mpd', notLowLatency: reason });
    expect(streams.streams.find((s) => s.streamKey === 'dash')!.dash).toEqual({ mpd: '/live/dash/manifest.mpd', lowLatencyMpd: '/live/dash/manifest-ll.mpd' });
    expect(lowLatencyChanges).toContainEqual(['live/gop4', reason]);
  });

  it('404 for a stream that is not live', async () => {
    expect((await fetch(live.httpUrl('live/nobody/manifest.mpd'))).status).toBe(404);
    expect((await fetch(live.httpUrl('live/nobody/manifest-ll.mpd'))).status).toBe(404);
  });
});
