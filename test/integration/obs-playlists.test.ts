import { afterEach, describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from '../helpers/live.js';
import { OBS_STREAM, replayObs, type ObsReplay } from '../helpers/obs-replay.js';

/*
 * The OBS 29 transcript (a first GOP of 1 999 ms, B-frames, audio from 66 ms) through the live
 * server, fed as fast as the socket takes it (the playlists depend on media time, not on arrival):
 * what the playlists promise is what hls.js needs (issue 9). TARGETDURATION:2 from the first
 * segment on, every EXTINF rounds to at most 2, and the dates advance exactly with the durations,
 * on one clock for audio and video.
 */

let live: LiveServer | undefined;
let obs: ObsReplay | undefined;

afterEach(async () => {
  obs?.stop();
  await live?.close();
});

interface Listed {
  pdtMs: number;
  duration: number;
  uri: string;
}

function segments(text: string): Listed[] {
  const out: Listed[] = [];
  let pdt: number | undefined;
  let duration: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) pdt = Date.parse(line.slice('#EXT-X-PROGRAM-DATE-TIME:'.length));
    else if (line.startsWith('#EXTINF:')) duration = Number(line.slice('#EXTINF:'.length).split(',')[0]);
    else if (/^\d+\.m4s$/.test(line)) {
      out.push({ pdtMs: pdt!, duration: duration!, uri: line });
      pdt = undefined;
    }
  }
  return out;
}

describe('OBS 29 transcript: the live playlists', () => {
  it('TARGETDURATION:2 with HOLD-BACK 6, EXTINF ≤ 2 rounded, dates that advance with the durations on one clock', { timeout: 30_000 }, async () => {
    live = await startLiveServer();
    const published = new Promise<void>((resolve) => live!.server.once('publish', () => resolve()));
    const segmentsSeen: number[] = [];
    live.server.on('segment', (_s, seg) => {
      if (seg.track === 'video') segmentsSeen.push(seg.msn);
    });
    // 16 s of the transcript: the window (6 segments) is full and has slid.
    obs = replayObs(Number(new URL(live.rtmpUrl('')).port), 16, { paced: false });
    await published;
    await obs.done;
    const deadline = Date.now() + 10_000;
    while (segmentsSeen.length < 7 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(segmentsSeen.length).toBeGreaterThanOrEqual(7);

    const video = await (await fetch(live.httpUrl(`${OBS_STREAM}/video/index.m3u8`))).text();
    const audio = await (await fetch(live.httpUrl(`${OBS_STREAM}/audio/index.m3u8`))).text();
    for (const text of [video, audio]) {
      expect(text).toContain('#EXT-X-TARGETDURATION:2\n');
      expect(text).toMatch(/HOLD-BACK=6,/);
      const listed = segments(text);
      expect(listed.length).toBeGreaterThanOrEqual(6);
      for (const s of listed) expect(Math.round(s.duration)).toBeLessThanOrEqual(2);
      // Each date is the previous one plus its EXTINF (to the millisecond both are written with).
      for (let i = 1; i < listed.length; i++) expect(Math.abs(listed[i]!.pdtMs - (listed[i - 1]!.pdtMs + listed[i - 1]!.duration * 1000))).toBeLessThanOrEqual(1);
    }
    // Audio and video segment n start within one audio frame plus the B-frame shift of each other.
    const v = segments(video);
    const a = new Map(segments(audio).map((s) => [s.uri, s.pdtMs]));
    for (const s of v) if (a.has(s.uri)) expect(Math.abs(s.pdtMs - a.get(s.uri)!)).toBeLessThanOrEqual(100);
  });
});
