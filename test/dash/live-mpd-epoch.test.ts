import { describe, expect, it } from 'vitest';
import { LiveDashPresentation, renderMpd, type LiveMpdOptions, type Mpd } from '../../src/dash/index.js';
import type { LivePackagerOptions } from '../../src/hls/index.js';
import type { Track } from '../../src/media/index.js';
import { mpdProblems } from '../helpers/mpd-check.js';
import { T0, audioTrack, videoFrames, videoTrack } from '../hls/live-helpers.js';
import { audioFrames, dashPackager, interleave } from './dash-helpers.js';

/*
 * Issue 14: the live MPD names the files the packager wrote, with the `e<epoch>-` prefix of the
 * packager that made each Period's segments (hls/live-names.ts): initialization and the $Number$
 * media template alike. Without an epoch the MPD is the one of before.
 */

const LL = { targetLatencyMs: 1000, minLatencyMs: 700, maxLatencyMs: 2500, minPlaybackRate: 0.96, maxPlaybackRate: 1.04 };
const OPTIONS: LiveMpdOptions = { segmentTargetSeconds: 2, windowSegments: 6, timeUrl: '/time', nowMs: T0 + 9000 };
const tracks = [videoTrack(), audioTrack()];
const changed = [{ ...videoTrack([1, 0x4d, 0, 0x1e, 0xff, 0xe0]), codecString: 'avc1.4d001e' }, audioTrack()];

function publish(p: ReturnType<typeof dashPackager>['p'], list: readonly Track[], from: number, to: number, { arrivalMs = T0 + 1000, videoOrigin = 0, audioOrigin = 0 } = {}): void {
  for (const s of interleave(list, videoFrames(Math.round(from * 30), Math.round(to * 30), 60, videoOrigin), audioFrames(from, to, audioOrigin))) {
    const ms = s.trackId === 1 ? (s.dts - videoOrigin) / 90 : ((s.dts - audioOrigin) * 1000) / 48_000;
    p.pushSample(s, arrivalMs + Math.round(ms));
  }
}

/** A stream with a codec change (two Periods, init-0 and init-1), rendered as the regular MPD. */
function withCodecChange(options: LivePackagerOptions): { mpd: Mpd; text: string; store: ReturnType<typeof dashPackager>['store'] } {
  const { p, renditions, store } = dashPackager({ lowLatency: true, ...options });
  p.setTracks(tracks, T0);
  publish(p, tracks, 0, 4 + 1 / 30);
  const dash = new LiveDashPresentation();
  dash.render(renditions(), OPTIONS);
  p.setTracks(changed, T0 + 5000);
  publish(p, changed, 4 + 1 / 30, 8 + 1 / 30);
  const mpd = dash.render(renditions(), OPTIONS)!.mpd;
  return { mpd, text: renderMpd(mpd), store };
}

describe('live MPD with an epoch', () => {
  it('names every init section and segment with the prefix; the rest is the MPD without an epoch', () => {
    const plain = withCodecChange({});
    const e7 = withCodecChange({ epoch: 7 });
    expect(plain.text).not.toContain('e7-');
    expect(e7.text.replaceAll('e7-', '')).toBe(plain.text);
    expect(e7.text).toContain('initialization="video/e7-init-0.mp4" media="video/e7-$Number$.m4s"');
    expect(e7.text).toContain('initialization="video/e7-init-1.mp4" media="video/e7-$Number$.m4s"');
    expect(e7.text).toContain('initialization="audio/e7-init-1.mp4" media="audio/e7-$Number$.m4s"');
    expect(mpdProblems(e7.text)).toEqual([]);
    // Every name the MPD gives is a file the packager wrote.
    let named = 0;
    for (const period of e7.mpd.periods) {
      for (const rep of period.adaptationSets.flatMap((a) => a.representations)) {
        const t = rep.segmentTemplate;
        expect(e7.store.get(t.initialization), t.initialization).toBeDefined();
        const count = (t.timeline ?? []).reduce((n, e) => n + 1 + (e.r ?? 0), 0);
        for (let n = t.startNumber; n < t.startNumber + count; n++, named++) expect(e7.store.get(t.media.replace('$Number$', String(n))), `${t.media} ${n}`).toBeDefined();
      }
    }
    expect(named).toBeGreaterThanOrEqual(8);
  });

  it('low-latency: a Period shown from its first part names its files with the prefix too', () => {
    const { p, renditions, store } = dashPackager({ lowLatency: true, epoch: 3 });
    p.setTracks(tracks, T0);
    publish(p, tracks, 0, 6);
    const ll = new LiveDashPresentation();
    ll.render(renditions(), { ...OPTIONS, lowLatency: LL, nowMs: T0 + 6900 });
    p.pause(T0 + 7000);
    p.resume(T0 + 12_000);
    p.setTracks(tracks, T0 + 12_000);
    publish(p, tracks, 0, 0.5, { arrivalMs: T0 + 12_500, videoOrigin: 450_000, audioOrigin: 240_000 });
    const early = ll.render(renditions(), { ...OPTIONS, lowLatency: LL, nowMs: T0 + 13_000 })!;
    const [old, comeback] = early.mpd.periods.map((x) => x.adaptationSets[0]!.representations[0]!.segmentTemplate);
    expect([old!.initialization, old!.media]).toEqual(['video/e3-init-0.mp4', 'video/e3-$Number$.m4s']);
    expect([comeback!.startNumber, comeback!.initialization, comeback!.media]).toEqual([3, 'video/e3-init-0.mp4', 'video/e3-$Number$.m4s']);
    // The comeback's first segment is being written: its parts are in the store under the prefix.
    expect(store.get('video/e3-3.0.m4s')).toBeDefined();
    expect(mpdProblems(renderMpd(early.mpd))).toEqual([]);
  });
});
