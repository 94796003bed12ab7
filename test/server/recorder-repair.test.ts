import { mkdtemp, open, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listedSegments } from '../../src/server/recorder-repair.js';
import { Recorder, scanRecordings, type RecordingEvent, type RecordingInfo } from '../../src/server/index.js';
import { mpdProblems } from '../helpers/mpd-check.js';
import { filesUnder, listedDurations, listedUris, readText, startRecordingServer } from '../helpers/recording.js';

/**
 * The start-up repair (recorder-repair.ts): a finished recording is made to look like the server
 * died in it (recording.json 'recording', the EVENT playlist behind the files, the last segments
 * cut mid-box, a segment with no whole fragment, a temporary file), and a new recorder's scan
 * must cut each file after its last whole moof+mdat and close the recording as VOD.
 */

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);

/** Top-level boxes of a file, walked here independently of the code under test. */
async function boxes(path: string): Promise<Array<{ type: string; offset: number; size: number }>> {
  const bytes = await readFile(path);
  const out: Array<{ type: string; offset: number; size: number }> = [];
  for (let at = 0; at + 8 <= bytes.length; ) {
    const size = bytes.readUInt32BE(at);
    if (size < 8 || at + size > bytes.length) break;
    out.push({ type: bytes.toString('latin1', at + 4, at + 8), offset: at, size });
    at += size;
  }
  return out;
}

describe('the start-up repair of a recording the server died in', () => {
  it('truncates after the last whole fragment, lists every segment that kept one, closes the playlists as VOD, says recovered', async () => {
    // A folder of the test's own: the first server's close must leave it for the second recorder.
    const dir = await mkdtemp(join(tmpdir(), 'tidecast-repair-'));
    const rec = await startRecordingServer({ record: { streams: 'all', dir }, now: () => T0, endGraceMs: 60_000 });
    let info: RecordingInfo;
    let original: Record<string, string> = {};
    try {
      const { stream } = await rec.publish('cam');
      await expect.poll(() => rec.events.filter((e) => e.type === 'segment_completed').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(8);
      stream.unpublish();
      await expect.poll(() => rec.events.some((e) => e.type === 'completed'), { timeout: 10_000 }).toBe(true);
      [info] = (await scanRecordings(rec.dir)) as [RecordingInfo];
      const folder = join(rec.dir, info.id);
      original = { video: await readText(join(folder, 'video/index.m3u8')), audio: await readText(join(folder, 'audio/index.m3u8')) };
      expect(listedUris(original.video!)).toEqual(['0.m4s', '1.m4s', '2.m4s', '3.m4s', '4.m4s']);

      // The crash: recording.json not closed, the EVENT playlists two segments behind the files.
      await writeFile(join(folder, 'recording.json'), JSON.stringify({ ...info, state: 'recording', endedAtMs: null, durationSeconds: 0, bytes: 0 }));
      // The static MPD is written only at the close the crash never reached.
      await rm(join(folder, 'manifest.mpd'));
      for (const rendition of ['video', 'audio']) {
        const behind = original[rendition]!.replace('#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-PLAYLIST-TYPE:EVENT').replace('#EXT-X-ENDLIST\n', '');
        const cut = behind.slice(0, behind.indexOf('#EXT-X-PROGRAM-DATE-TIME', behind.indexOf('1.m4s')));
        await writeFile(join(folder, rendition, 'index.m3u8'), cut);
        expect(listedUris(cut)).toEqual(['0.m4s', '1.m4s']);
      }
      // Video's last segment ends inside its last mdat; audio's inside a moof header.
      const video4 = await boxes(join(folder, 'video/4.m4s'));
      const lastMdat = video4.at(-1)!;
      expect(lastMdat.type).toBe('mdat');
      expect(video4.filter((b) => b.type === 'moof').length).toBeGreaterThan(2);
      await truncate(join(folder, 'video/4.m4s'), lastMdat.offset + Math.floor(lastMdat.size / 2));
      const audio4 = await boxes(join(folder, 'audio/4.m4s'));
      const lastMoof = audio4.filter((b) => b.type === 'moof').at(-1)!;
      await truncate(join(folder, 'audio/4.m4s'), lastMoof.offset + 5);
      // A segment begun but with no whole fragment, and a playlist write the crash interrupted.
      const video5 = await open(join(folder, 'video/5.m4s'), 'w');
      await video5.write(new Uint8Array(await readFile(join(folder, 'video/4.m4s'))).subarray(0, 100));
      await video5.close();
      await writeFile(join(folder, 'video/index.m3u8.tmp'), '#EXTM3U\n#EXT-X-VERS');
    } finally {
      await rec.close();
    }

    const events: RecordingEvent[] = [];
    const recorder = new Recorder({ dir: rec.dir, minFreeBytes: 0 }, { now: () => T0 + 3_600_000, emit: (e) => events.push(e), describe: () => undefined, isLive: () => false, settled: async () => undefined, targetDurationSeconds: 2 });
    try {
      await recorder.ready;
      expect(events).toEqual([]);
      const folder = join(rec.dir, info.id);
      const [repaired] = await scanRecordings(rec.dir);
      const files = await filesUnder(folder);
      expect(files).not.toContain('video/5.m4s');
      expect(files).not.toContain('video/index.m3u8.tmp');
      for (const rendition of ['video', 'audio']) {
        const playlist = await readText(join(folder, rendition, 'index.m3u8'));
        expect(playlist).toContain('#EXT-X-PLAYLIST-TYPE:VOD\n');
        expect(playlist.endsWith('#EXT-X-ENDLIST\n')).toBe(true);
        expect(listedUris(playlist), rendition).toEqual(['0.m4s', '1.m4s', '2.m4s', '3.m4s', '4.m4s']);
        // Listed segments keep the EVENT playlist's durations; the measured ones match what the packager said.
        const before = listedDurations(original[rendition]!);
        const after = listedDurations(playlist);
        for (let i = 0; i < 4; i++) expect(after[i], `${rendition} segment ${i}`).toBeCloseTo(before[i]!, 3);
        expect(after[4]!, rendition).toBeLessThan(before[4]!);
        expect(after[4]!, rendition).toBeGreaterThan(0);
        // Dates run on from the last listed one.
        const dates = listedSegments(playlist).map((s) => s.programDateTimeMs);
        for (let i = 1; i < 5; i++) expect(dates[i]! - dates[i - 1]!, `${rendition} date ${i}`).toBeCloseTo(after[i - 1]! * 1000, -1);
        // The cut file ends on a whole fragment.
        const walked = await boxes(join(folder, rendition, '4.m4s'));
        const size = (await stat(join(folder, rendition, '4.m4s'))).size;
        expect(walked.at(-1)!.type).toBe('mdat');
        expect(walked.at(-1)!.offset + walked.at(-1)!.size).toBe(size);
      }
      const videoSeconds = listedDurations(await readText(join(folder, 'video/index.m3u8'))).reduce((a, b) => a + b, 0);
      const audioSeconds = listedDurations(await readText(join(folder, 'audio/index.m3u8'))).reduce((a, b) => a + b, 0);
      expect(repaired).toMatchObject({ id: info.id, state: 'recovered', startedAtMs: info.startedAtMs, renditions: info.renditions.map((r) => ({ ...r, bandwidth: expect.any(Number) })) });
      expect(repaired!.durationSeconds).toBeCloseTo(Math.max(videoSeconds, audioSeconds), 3);
      const bytes = (await Promise.all(files.filter((f) => /\.(m4s|mp4)$/.test(f)).map((f) => stat(join(folder, f))))).reduce((sum, s) => sum + s.size, 0);
      expect(repaired!.bytes).toBe(bytes);
      const lastVideo = listedSegments(await readText(join(folder, 'video/index.m3u8'))).at(-1)!;
      const lastAudio = listedSegments(await readText(join(folder, 'audio/index.m3u8'))).at(-1)!;
      expect(repaired!.endedAtMs).toBe(Math.max(...[lastVideo, lastAudio].map((s) => Math.round(s.programDateTimeMs + s.durationSeconds * 1000))));
      expect(await readText(join(folder, 'index.m3u8'))).toContain('#EXT-X-STREAM-INF:');
      // The static MPD of what was kept: every segment the VOD playlists list, the cut ones as measured.
      const mpd = await readText(join(folder, 'manifest.mpd'));
      expect(mpdProblems(mpd)).toEqual([]);
      expect(mpd).toContain('type="static"');
      for (const rendition of ['video', 'audio']) {
        const template = new RegExp(`<SegmentTemplate timescale="(\\d+)"[^>]*startNumber="0"[^>]*media="${rendition}/\\$Number\\$\\.m4s">([\\s\\S]*?)</SegmentTemplate>`).exec(mpd)!;
        const durations = [...template[2]!.matchAll(/<S (?:t="\d+" )?d="(\d+)"(?: r="(\d+)")?\/>/g)].flatMap((m) => Array<number>(Number(m[2] ?? 0) + 1).fill(Number(m[1]) / Number(template[1])));
        const listed = listedDurations(await readText(join(folder, rendition, 'index.m3u8')));
        expect(durations.length, rendition).toBe(5);
        durations.forEach((d, i) => expect(d, `${rendition} ${i}`).toBeCloseTo(listed[i]!, 2));
      }
      // A second start finds nothing to repair.
      const again = new Recorder({ dir: rec.dir, minFreeBytes: 0 }, { now: () => T0, emit: (e) => events.push(e), describe: () => undefined, isLive: () => false, settled: async () => undefined, targetDurationSeconds: 2 });
      await again.ready;
      await again.close();
      expect(await scanRecordings(rec.dir)).toEqual([repaired]);
    } finally {
      await recorder.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads back the segments an EVENT playlist lists', () => {
    const text = [
      '#EXTM3U',
      '#EXT-X-TARGETDURATION:2',
      '#EXT-X-MAP:URI="init-0.mp4"',
      '#EXT-X-PROGRAM-DATE-TIME:2026-12-07T12:00:00.000Z',
      '#EXTINF:2.00000,',
      '7.m4s',
      '#EXT-X-DISCONTINUITY',
      '#EXT-X-MAP:URI="init-1.mp4"',
      '#EXT-X-PROGRAM-DATE-TIME:2026-12-07T12:00:02.000Z',
      '#EXTINF:1.50000,',
      '8.m4s',
      '',
    ].join('\n');
    expect(listedSegments(text)).toEqual([
      { msn: 7, durationSeconds: 2, programDateTimeMs: T0, generation: 0, discontinuity: false, byteLength: 0 },
      { msn: 8, durationSeconds: 1.5, programDateTimeMs: T0 + 2000, generation: 1, discontinuity: true, byteLength: 0 },
    ]);
  });
});
