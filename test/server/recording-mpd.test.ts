import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xsDateTime, xsDuration } from '../../src/dash/index.js';
import type { RecordedSegment } from '../../src/server/recorder-playlists.js';
import { listedSegments } from '../../src/server/recorder-repair.js';
import { recordingMpd, writeRecordingMpd, RECORDING_MPD_FILE, type RecordedRendition } from '../../src/server/recording-mpd.js';
import type { RecordingInfo } from '../../src/server/index.js';
import { waitUntil } from '../helpers/live.js';
import { parseMp4 } from '../helpers/mp4box.js';
import { mpdProblems, parseXml, type XmlElement } from '../helpers/mpd-check.js';
import { readText, startRecordingServer, type RecordingServer } from '../helpers/recording.js';

/**
 * A finished recording's static MPD (recording-mpd.ts, dash/static-mpd.ts). The fixture (10 s,
 * keyframes every 2 s, AAC) is recorded by a MediaServer; its manifest.mpd must be there before
 * 'completed', be well-formed in the schema's order, static, and give every segment mp4box.js's
 * own reading of its file (first dts, summed durations). Then the same files are listed with a
 * packager discontinuity, a new init generation (a patched size and level), a missing segment and a
 * date jump, and each must start the Period the live MPD would start.
 */

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);
const ID = 'live/cam/2026-12-07_12-00-00';

let rec: RecordingServer;
let folder = '';
let info: RecordingInfo;
let mpdBeforeCompleted: boolean | undefined;
let scratch = '';

beforeAll(async () => {
  rec = await startRecordingServer({ record: { streams: 'all' }, now: () => T0, endGraceMs: 60_000 });
  folder = join(rec.dir, ID);
  rec.server.on('recording', (e) => {
    if (e.type === 'completed') mpdBeforeCompleted = existsSync(join(folder, RECORDING_MPD_FILE));
  });
  const { stream } = await rec.publish('cam');
  await waitUntil(() => rec.events.filter((e) => e.type === 'segment_completed').length >= 8, 10_000, 'eight segments recorded');
  stream.unpublish();
  await waitUntil(() => rec.events.some((e) => e.type === 'completed'), 10_000, 'the recording completed');
  info = JSON.parse(await readText(join(folder, 'recording.json'))) as RecordingInfo;
  scratch = await mkdtemp(join(tmpdir(), 'tidecast-recording-mpd-'));
}, 30_000);
afterAll(async () => {
  await rec?.close();
  if (scratch !== '') await rm(scratch, { recursive: true, force: true });
});

const children = (e: XmlElement, name: string): XmlElement[] => e.children.filter((c) => c.name === name);
const only = (e: XmlElement, name: string): XmlElement => {
  const found = children(e, name);
  expect(found, name).toHaveLength(1);
  return found[0]!;
};

/** Every S of a SegmentTemplate expanded: `$Number$` from startNumber, t carried on. */
function expand(template: XmlElement): Array<{ number: number; t: number; d: number }> {
  const out: Array<{ number: number; t: number; d: number }> = [];
  let number = Number(template.attributes['startNumber']);
  let t = 0;
  for (const s of children(only(template, 'SegmentTimeline'), 'S')) {
    if (s.attributes['t'] !== undefined) t = Number(s.attributes['t']);
    for (let r = 0; r <= Number(s.attributes['r'] ?? 0); r++) {
      out.push({ number, t, d: Number(s.attributes['d']) });
      t += Number(s.attributes['d']);
      number += 1;
    }
  }
  return out;
}

/** The recording's renditions as their VOD playlists list them. */
async function recorded(): Promise<Array<{ rendition: RecordingInfo['renditions'][number]; segments: RecordedSegment[] }>> {
  return Promise.all(info.renditions.map(async (rendition) => ({ rendition, segments: listedSegments(await readText(join(folder, rendition.name, 'index.m3u8'))) })));
}

/** Per Period: its id, start, duration, and per Representation its id, PTO, init, codecs, width and segment numbers. */
function periods(text: string): Array<{ id: string; start: string; duration?: string; connected: string[]; representations: Array<Record<string, unknown>> }> {
  return children(parseXml(text), 'Period').map((p) => ({
    id: p.attributes['id']!,
    start: p.attributes['start']!,
    ...(p.attributes['duration'] === undefined ? {} : { duration: p.attributes['duration'] }),
    connected: children(p, 'AdaptationSet').flatMap((a) => children(a, 'SupplementalProperty').map((s) => `${a.attributes['contentType']} ${s.attributes['schemeIdUri']} ${s.attributes['value']}`)),
    representations: children(p, 'AdaptationSet').flatMap((a) =>
      children(a, 'Representation').map((r) => {
        const template = only(r, 'SegmentTemplate');
        return { id: r.attributes['id'], pto: Number(template.attributes['presentationTimeOffset']), init: template.attributes['initialization'], codecs: r.attributes['codecs'], width: r.attributes['width'], numbers: expand(template).map((s) => s.number) };
      }),
    ),
  }));
}

describe('the static MPD the recorder writes', () => {
  it('is written before completed: static, well-formed, one Period, every segment at mp4box.js\'s ticks', async () => {
    expect(mpdBeforeCompleted).toBe(true);
    const text = await readText(join(folder, RECORDING_MPD_FILE));
    expect(mpdProblems(text)).toEqual([]);
    const mpd = parseXml(text);
    const listed = await recorded();
    const firstDate = listed[0]!.segments[0]!.programDateTimeMs;
    expect(mpd.attributes).toMatchObject({
      type: 'static',
      mediaPresentationDuration: xsDuration((info.endedAtMs! - firstDate) / 1000),
      publishTime: xsDateTime(info.endedAtMs!),
      // The longest segment (the last one, cut when the publisher left, may be past 2 s), whole seconds up.
      minBufferTime: `PT${Math.ceil(Math.max(...listed.flatMap((r) => r.segments.map((s) => s.durationSeconds))))}S`,
    });
    for (const live of ['availabilityStartTime', 'minimumUpdatePeriod', 'timeShiftBufferDepth', 'suggestedPresentationDelay']) expect(mpd.attributes[live], live).toBeUndefined();
    expect(children(mpd, 'UTCTiming')).toEqual([]);
    const period = only(mpd, 'Period');
    expect(period.attributes).toEqual({ id: `p${listed[0]!.segments[0]!.msn}`, start: 'PT0S' });

    for (const { rendition, segments } of listed) {
      const representation = children(period, 'AdaptationSet').flatMap((a) => children(a, 'Representation')).find((r) => r.attributes['id'] === rendition.name)!;
      expect(representation.attributes, rendition.name).toMatchObject({ codecs: rendition.codecs, bandwidth: String(rendition.bandwidth) });
      if (rendition.kind === 'video') expect(representation.attributes).toMatchObject({ width: String(rendition.width), height: String(rendition.height), frameRate: '30', sar: '1:1' });
      else expect(representation.attributes['audioSamplingRate']).toBe(String(rendition.sampleRate));
      const template = only(representation, 'SegmentTemplate');
      expect(template.attributes).toMatchObject({ initialization: `${rendition.name}/init-0.mp4`, media: `${rendition.name}/$Number$.m4s` });
      // The oracle: mp4box.js reads each segment with its init, as a player would.
      const init = new Uint8Array(await readFile(join(folder, rendition.name, 'init-0.mp4')));
      const expected = await Promise.all(segments.map(async (s) => {
        const parsed = parseMp4(Buffer.concat([init, await readFile(join(folder, rendition.name, `${s.msn}.m4s`))]));
        expect(Number(template.attributes['timescale'])).toBe(parsed.tracks[0]!.timescale);
        const samples = parsed.samples.get(parsed.tracks[0]!.id)!;
        return { number: s.msn, t: samples[0]!.dts, d: samples.reduce((sum, x) => sum + x.duration, 0) };
      }));
      expect(expand(template), rendition.name).toEqual(expected);
      // Each segment at its PROGRAM-DATE-TIME: Period@start (0) + (t − PTO) / timescale = its date − the first one's (ms-rounded dates).
      const timescale = Number(template.attributes['timescale']);
      expected.forEach((s, i) => expect(Math.abs((s.t - Number(template.attributes['presentationTimeOffset'])) / timescale - (segments[i]!.programDateTimeMs - firstDate) / 1000)).toBeLessThan(0.0015));
    }
    // The recorder took the ticks from the bytes it wrote; read back from the files (as the repair does), the MPD is the same.
    expect(await recordingMpd(folder, listed, info.endedAtMs!)).toBe(text);
  });

  it('starts a Period at a packager discontinuity, a new init generation (its own codec and size), missing segments and a date jump', async () => {
    const copy = join(scratch, 'split');
    await cp(folder, copy, { recursive: true });
    // Generation 1 of the video: the same stream, its sample entry saying 640x480 and its avcC level 3.0.
    const init = new Uint8Array(await readFile(join(copy, 'video/init-0.mp4')));
    const entry = Buffer.from(init).indexOf('avc1');
    const view = new DataView(init.buffer, init.byteOffset);
    view.setUint16(entry + 4 + 8 + 16, 640);
    view.setUint16(entry + 4 + 8 + 18, 480);
    init[Buffer.from(init).indexOf('avcC') + 4 + 3] = 0x1e;
    await writeFile(join(copy, 'video/init-1.mp4'), init);
    await cp(join(copy, 'audio/init-0.mp4'), join(copy, 'audio/init-1.mp4'));
    const listed = await recorded();
    expect(listed[0]!.segments.map((s) => s.msn)).toEqual([0, 1, 2, 3, 4]);
    // 0 1 | 2 (discontinuity) | 3 (generation 1) | 4 missing | 5 (generation 1, numbers jump): segment 3's file again, its date 2 s on.
    await cp(join(copy, 'video/3.m4s'), join(copy, 'video/5.m4s'));
    await cp(join(copy, 'audio/3.m4s'), join(copy, 'audio/5.m4s'));
    const renditions: RecordedRendition[] = listed.map(({ rendition, segments }) => ({
      rendition,
      segments: [
        ...segments.slice(0, 2),
        { ...segments[2]!, discontinuity: true },
        { ...segments[3]!, generation: 1 },
        { ...segments[3]!, msn: 5, generation: 1, programDateTimeMs: segments[3]!.programDateTimeMs + 4000 },
      ],
    }));
    const text = (await recordingMpd(copy, renditions))!;
    expect(mpdProblems(text)).toEqual([]);
    const video = listed[0]!.segments;
    const start = (msn: number): string => xsDuration(((msn === 5 ? video[3]!.programDateTimeMs + 4000 : video[msn]!.programDateTimeMs) - video[0]!.programDateTimeMs) / 1000);
    const found = periods(text);
    expect(found.map((p) => [p.id, p.start, p.duration])).toEqual([
      ['p0', 'PT0S', start(2)],
      ['p2', start(2), xsDuration((video[3]!.programDateTimeMs - video[2]!.programDateTimeMs) / 1000)],
      ['p3', start(3), xsDuration(4)],
      ['p5', start(5), undefined],
    ]);
    expect(found.map((p) => p.representations.map((r) => `${r['id']} ${r['init']} ${r['codecs']} ${r['width'] ?? ''} ${(r['numbers'] as number[]).join(',')}`))).toEqual([
      ['video video/init-0.mp4 avc1.64000d 320 0,1', 'audio audio/init-0.mp4 mp4a.40.2  0,1'],
      ['video video/init-0.mp4 avc1.64000d 320 2', 'audio audio/init-0.mp4 mp4a.40.2  2'],
      ['video video/init-1.mp4 avc1.64001e 640 3', 'audio audio/init-1.mp4 mp4a.40.2  3'],
      ['video video/init-1.mp4 avc1.64001e 640 5', 'audio audio/init-1.mp4 mp4a.40.2  5'],
    ]);
    // Same codecs as the Period before: period-connectivity; p3's video changed, so only its audio is connected.
    expect(found.map((p) => p.connected)).toEqual([
      [],
      ['video urn:mpeg:dash:period-connectivity:2015 p0', 'audio urn:mpeg:dash:period-connectivity:2015 p0'],
      ['audio urn:mpeg:dash:period-connectivity:2015 p2'],
      ['video urn:mpeg:dash:period-connectivity:2015 p3', 'audio urn:mpeg:dash:period-connectivity:2015 p3'],
    ]);

    // A date jump (the packager re-anchored its clock): every segment listed, a Period from the jump on, period-continuity.
    const jumped = listed.map(({ rendition, segments }) => ({ rendition, segments: segments.map((s) => (s.msn >= 3 ? { ...s, programDateTimeMs: s.programDateTimeMs + 500 } : s)) }));
    const again = periods((await recordingMpd(copy, jumped))!);
    expect(again.map((p) => [p.id, p.start, p.connected])).toEqual([
      ['p0', 'PT0S', []],
      ['p3', xsDuration((video[3]!.programDateTimeMs + 500 - video[0]!.programDateTimeMs) / 1000), ['video urn:mpeg:dash:period-continuity:2015 p0', 'audio urn:mpeg:dash:period-continuity:2015 p0']],
    ]);
    expect(again.map((p) => p.representations.map((r) => (r['numbers'] as number[]).join(',')))).toEqual([['0,1,2', '0,1,2'], ['3,4', '3,4']]);
  });

  it('leaves out what cannot be placed: no MPD (a stale one removed) when no file has a fragment', async () => {
    const copy = join(scratch, 'broken');
    await cp(folder, copy, { recursive: true });
    const listed = await recorded();
    // Segment 1 of the video is gone: the rest are listed, 2 starting a Period (numbers jump).
    await rm(join(copy, 'video/1.m4s'));
    const gap = periods((await recordingMpd(copy, listed))!);
    expect(gap.map((p) => p.representations.map((r) => `${r['id']} ${(r['numbers'] as number[]).join(',')}`))).toEqual([['video 0', 'audio 0,1'], ['video 2,3,4', 'audio 2,3,4']]);
    for (const r of listed) for (const s of r.segments) await writeFile(join(copy, r.rendition.name, `${s.msn}.m4s`), 'not a box');
    expect(await recordingMpd(copy, listed)).toBeUndefined();
    await writeFile(join(copy, RECORDING_MPD_FILE), 'stale');
    expect(await writeRecordingMpd(copy, listed)).toBe(false);
    expect(existsSync(join(copy, RECORDING_MPD_FILE))).toBe(false);
  });
});
