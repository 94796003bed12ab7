import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LiveDashPresentation, renderMpd, type DashRendition, type LiveMpdOptions, type Mpd } from '../../src/dash/index.js';
import type { Track } from '../../src/media/index.js';
import { mpdProblems } from '../helpers/mpd-check.js';
import { loopedFixture, fixtureTracks } from '../hls/live-fixture.js';
import { T0, videoFrames, videoTrack, audioTrack } from '../hls/live-helpers.js';
import { audioFrames, dashPackager, interleave } from './dash-helpers.js';

const LL = { targetLatencyMs: 1000, minLatencyMs: 700, maxLatencyMs: 2500, minPlaybackRate: 0.96, maxPlaybackRate: 1.04 };
const OPTIONS: LiveMpdOptions = { segmentTargetSeconds: 2, windowSegments: 6, timeUrl: '/time', nowMs: T0 + 9000 };

/** Video (gop frames per keyframe) and 48 kHz audio for [fromSeconds, toSeconds) from media time 0 (+ origin), arriving 1 s after T0 + media time. */
function publish(p: ReturnType<typeof dashPackager>['p'], tracks: readonly Track[], from: number, to: number, { gop = 60, arrivalMs = T0 + 1000, videoOrigin = 0, audioOrigin = 0, rate = 1 } = {}): void {
  const video = videoFrames(Math.round(from * 30), Math.round(to * 30), gop, videoOrigin);
  const audio = tracks.length > 1 ? audioFrames(from, to, audioOrigin) : [];
  for (const s of interleave(tracks, video, audio)) {
    const ms = s.trackId === 1 ? (s.dts - videoOrigin) / 90 : ((s.dts - audioOrigin) * 1000) / 48_000;
    p.pushSample(s, arrivalMs + Math.round(ms * rate));
  }
}

/** For every listed segment with ticks: AST + Period@start + (S@t − PTO)/timescale − its PROGRAM-DATE-TIME, ms. */
function dateErrors(mpd: Mpd, renditions: readonly DashRendition[]): number[] {
  const errors: number[] = [];
  mpd.periods.forEach((period, i) => {
    // @duration addressing numbers segments up to the next Period's first.
    const nextFirst = Math.min(...(mpd.periods[i + 1]?.adaptationSets.flatMap((a) => a.representations.map((r) => r.segmentTemplate.startNumber)) ?? [Infinity]));
    for (const set of period.adaptationSets) {
      for (const rep of set.representations) {
        const rendition = renditions.find((r) => r.name === rep.id)!;
        const tmpl = rep.segmentTemplate;
        const end = tmpl.timeline === undefined ? nextFirst : tmpl.startNumber + tmpl.timeline.reduce((n, e) => n + 1 + (e.r ?? 0), 0);
        const listed = rendition.timeline.segments.filter((s) => s.startTicks !== undefined && s.msn >= tmpl.startNumber && s.msn < end);
        for (const s of listed) {
          const wall = mpd.availabilityStartTimeMs! + period.startSeconds * 1000 + ((s.startTicks! - tmpl.presentationTimeOffset) * 1000) / tmpl.timescale;
          errors.push(wall - s.programDateTimeMs);
        }
      }
    }
  });
  return errors;
}

describe('LiveDashPresentation: the MPD of a live stream, from the HLS timelines', () => {
  const tracks = [videoTrack(), audioTrack()];

  it('regular: SegmentTimeline with $Number$ = the media sequence number, the HLS files, AST = the first date', () => {
    const { p, renditions } = dashPackager({ lowLatency: true });
    p.setTracks(tracks, T0);
    publish(p, tracks, 0, 8 + 1 / 30);
    const result = new LiveDashPresentation().render(renditions(), OPTIONS)!;
    const text = renderMpd(result.mpd);
    expect(text).toBe(`<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic" profiles="urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019" availabilityStartTime="2026-01-01T00:00:01.000Z" publishTime="2026-01-01T00:00:09.000Z" minimumUpdatePeriod="PT1S" timeShiftBufferDepth="PT10S" suggestedPresentationDelay="PT4S" minBufferTime="PT2S" maxSegmentDuration="PT2.006S">
  <Period id="p0" start="PT0S">
    <AdaptationSet id="1" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1">
      <Representation id="video" bandwidth="28432" codecs="avc1.64000d" width="320" height="240" frameRate="30" sar="1:1">
        <SegmentTemplate timescale="90000" presentationTimeOffset="0" startNumber="0" initialization="video/init-0.mp4" media="video/$Number$.m4s">
          <SegmentTimeline>
            <S t="0" d="180000" r="3"/>
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
    <AdaptationSet id="2" contentType="audio" mimeType="audio/mp4" lang="und" segmentAlignment="true" startWithSAP="1">
      <Representation id="audio" bandwidth="12388" codecs="mp4a.40.2" audioSamplingRate="48000">
        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"/>
        <SegmentTemplate timescale="48000" presentationTimeOffset="0" startNumber="0" initialization="audio/init-0.mp4" media="audio/$Number$.m4s">
          <SegmentTimeline>
            <S t="0" d="96256" r="2"/>
            <S d="95232"/>
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
  </Period>
  <UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-xsdate:2014" value="/time"/>
</MPD>
`);
    expect(mpdProblems(text)).toEqual([]);
    expect(result.notLowLatency).toBeUndefined();
  });

  it('low-latency: $Number$ + @duration, availabilityTimeOffset = segment − part target, ServiceDescription, ProducerReferenceTime', () => {
    const { p, renditions } = dashPackager({ lowLatency: true });
    p.setTracks(tracks, T0);
    publish(p, tracks, 0, 8 + 1 / 30);
    const result = new LiveDashPresentation().render(renditions(), { ...OPTIONS, lowLatency: LL })!;
    const text = renderMpd(result.mpd);
    expect(result.notLowLatency).toBeUndefined();
    expect(text).toContain(`<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="dynamic" profiles="urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019" availabilityStartTime="2026-01-01T00:00:01.000Z" publishTime="2026-01-01T00:00:09.000Z" minimumUpdatePeriod="PT2S" timeShiftBufferDepth="PT10S" minBufferTime="PT2S" maxSegmentDuration="PT2.006S">
  <ServiceDescription id="0">
    <Latency target="1000" min="700" max="2500"/>
    <PlaybackRate min="0.96" max="1.04"/>
  </ServiceDescription>
  <Period id="p0" start="PT0S">
    <AdaptationSet id="1" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1">
      <ProducerReferenceTime id="1" type="encoder" wallClockTime="2026-01-01T00:00:01.000Z" presentationTime="0">
        <UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-xsdate:2014" value="/time"/>
      </ProducerReferenceTime>
      <Representation id="video" bandwidth="28432" codecs="avc1.64000d" width="320" height="240" frameRate="30" sar="1:1">
        <SegmentTemplate timescale="90000" presentationTimeOffset="0" startNumber="0" duration="180000" availabilityTimeOffset="1.799" availabilityTimeComplete="false" initialization="video/init-0.mp4" media="video/$Number$.m4s"/>
      </Representation>`);
    expect(text).toContain('<SegmentTemplate timescale="48000" presentationTimeOffset="0" startNumber="0" duration="96000" availabilityTimeOffset="1.807" availabilityTimeComplete="false" initialization="audio/init-0.mp4" media="audio/$Number$.m4s"/>');
    expect(text).not.toContain('suggestedPresentationDelay');
    expect(mpdProblems(text)).toEqual([]);
  });

  it('the two MPDs of a stream share one availabilityStartTime, whichever is asked for first and whenever', () => {
    const { p, renditions } = dashPackager({ lowLatency: true });
    p.setTracks(tracks, T0);
    const anchor = { astMs: undefined };
    const regular = new LiveDashPresentation(anchor);
    const lowLatency = new LiveDashPresentation(anchor);
    publish(p, tracks, 0, 4 + 1 / 30);
    const first = regular.render(renditions(), OPTIONS)!;
    publish(p, tracks, 4 + 1 / 30, 16 + 1 / 30);
    const later = lowLatency.render(renditions(), { ...OPTIONS, lowLatency: LL })!;
    expect(later.mpd.availabilityStartTimeMs).toBe(first.mpd.availabilityStartTimeMs);
    // Its first Period starts at its first listed segment's date, after AST.
    expect(later.mpd.periods[0]!.startSeconds).toBeGreaterThan(0);
    expect(dateErrors(later.mpd, renditions()).every((e) => Math.abs(e) < 1)).toBe(true);
    expect(mpdProblems(renderMpd(later.mpd))).toEqual([]);
  });

  it('nothing to show before a segment is listed by every rendition that reached it', () => {
    const { p, renditions } = dashPackager({ lowLatency: true });
    p.setTracks(tracks, T0);
    expect(new LiveDashPresentation().render(renditions(), OPTIONS)).toBeUndefined();
    publish(p, tracks, 0, 1);
    expect(new LiveDashPresentation().render(renditions(), OPTIONS)).toBeUndefined();
  });

  it('a republish is a new Period: start = its first date − AST, PTO = its start, period-connectivity; the first lasts until it (the time away is a gap at its end); AST stays', () => {
    const { p, renditions } = dashPackager({ lowLatency: true });
    p.setTracks(tracks, T0);
    publish(p, tracks, 0, 6 + 1 / 30);
    const dash = new LiveDashPresentation();
    const before = dash.render(renditions(), OPTIONS)!;
    p.pause(T0 + 8000);
    p.resume(T0 + 12_000);
    p.setTracks(tracks, T0 + 12_000);
    // The new session's timestamps start at 5 s of its own media time, 12.5 s after T0.
    publish(p, tracks, 0, 6 + 1 / 30, { arrivalMs: T0 + 12_500, videoOrigin: 450_000, audioOrigin: 240_000 });
    const after = dash.render(renditions(), { ...OPTIONS, nowMs: T0 + 20_000 })!;
    expect(after.mpd.availabilityStartTimeMs).toBe(before.mpd.availabilityStartTimeMs);
    expect(after.mpd.periods.map((x) => [x.id, x.startSeconds, x.durationSeconds])).toEqual([
      ['p0', 0, 11.5],
      ['p4', 11.5, undefined],
    ]);
    const text = renderMpd(after.mpd);
    expect(text).toContain('<SupplementalProperty schemeIdUri="urn:mpeg:dash:period-connectivity:2015" value="p0"/>');
    expect(text).toContain('<SegmentTemplate timescale="90000" presentationTimeOffset="450000" startNumber="4" initialization="video/init-0.mp4" media="video/$Number$.m4s">');
    expect(text).toContain('<SegmentTemplate timescale="48000" presentationTimeOffset="240000" startNumber="4" initialization="audio/init-0.mp4" media="audio/$Number$.m4s">');
    expect(dateErrors(after.mpd, renditions()).every((e) => Math.abs(e) < 1)).toBe(true);
    expect(mpdProblems(text)).toEqual([]);
    // Once the first Period's segments have all left the window, it goes.
    publish(p, tracks, 6 + 1 / 30, 20 + 1 / 30, { arrivalMs: T0 + 12_500, videoOrigin: 450_000, audioOrigin: 240_000 });
    expect(dash.render(renditions(), OPTIONS)!.mpd.periods.map((x) => x.id)).toEqual(["p4"]);
  });

  it('while the publisher is away the only Period stays open and lists its segments (the low-latency MPD is updated four times as often); the comeback shows in the low-latency MPD from its first part, and the old Period then lists its segments', () => {
    const { p, renditions } = dashPackager({ lowLatency: true });
    p.setTracks(tracks, T0);
    publish(p, tracks, 0, 6);
    const ll = new LiveDashPresentation();
    const regular = new LiveDashPresentation();
    const live = ll.render(renditions(), { ...OPTIONS, lowLatency: LL, nowMs: T0 + 6900 })!;
    expect([live.mpd.periods.map((x) => x.durationSeconds), live.mpd.minimumUpdatePeriodSeconds]).toEqual([[undefined], 2]);
    p.pause(T0 + 7000);
    // An only Period with a duration, all buffered, makes dash.js end playback for good.
    const away = ll.render(renditions(), { ...OPTIONS, lowLatency: LL, nowMs: T0 + 7000 })!;
    expect([away.mpd.periods.map((x) => x.durationSeconds), away.mpd.minimumUpdatePeriodSeconds]).toEqual([[undefined], 0.5]);
    // It lists its segments meanwhile: no number is counted by the clock into the time away (the next one will be the comeback's).
    const awayTemplate = away.mpd.periods[0]!.adaptationSets[0]!.representations[0]!.segmentTemplate;
    expect([awayTemplate.duration, awayTemplate.timeline?.length, awayTemplate.availabilityTimeOffsetSeconds]).toEqual([undefined, 1, undefined]);
    expect(regular.render(renditions(), { ...OPTIONS, nowMs: T0 + 7000 })!.mpd.periods.map((x) => x.durationSeconds)).toEqual([undefined]);
    p.resume(T0 + 12_000);
    p.setTracks(tracks, T0 + 12_000);
    // Half a second of the comeback: its first segment is being written (parts only).
    publish(p, tracks, 0, 0.5, { arrivalMs: T0 + 12_500, videoOrigin: 450_000, audioOrigin: 240_000 });
    const early = ll.render(renditions(), { ...OPTIONS, lowLatency: LL, nowMs: T0 + 13_000 })!;
    expect(early.mpd.periods.map((x) => [x.id, x.startSeconds, x.durationSeconds])).toEqual([['p0', 0, 11.5], ['p3', 11.5, undefined]]);
    expect([early.lastPeriodFirstMsn, early.mpd.minimumUpdatePeriodSeconds]).toEqual([3, 0.5]);
    // The old Period lists its segments (no number past its last is counted by the clock); the new one is addressed by @duration.
    const [old, comeback] = early.mpd.periods.map((x) => x.adaptationSets[0]!.representations[0]!.segmentTemplate);
    expect([old!.startNumber, old!.duration, old!.timeline?.length]).toEqual([0, undefined, 1]);
    expect([comeback!.startNumber, comeback!.presentationTimeOffset, comeback!.duration, comeback!.initialization]).toEqual([3, 450_000, 180_000, 'video/init-0.mp4']);
    expect(mpdProblems(renderMpd(early.mpd))).toEqual([]);
    // The regular MPD lists segments only: the old Period alone until the first new one is listed.
    expect(regular.render(renditions(), { ...OPTIONS, nowMs: T0 + 13_000 })!.mpd.periods.map((x) => [x.id, x.durationSeconds])).toEqual([['p0', undefined]]);
    publish(p, tracks, 0.5, 4 + 1 / 30, { arrivalMs: T0 + 12_500, videoOrigin: 450_000, audioOrigin: 240_000 });
    const back = ll.render(renditions(), { ...OPTIONS, lowLatency: LL, nowMs: T0 + 17_000 })!;
    expect([back.mpd.periods.map((x) => [x.id, x.startSeconds, x.durationSeconds]), back.mpd.minimumUpdatePeriodSeconds]).toEqual([[['p0', 0, 11.5], ['p3', 11.5, undefined]], 2]);
    expect(regular.render(renditions(), { ...OPTIONS, nowMs: T0 + 17_000 })!.mpd.periods.map((x) => [x.id, x.startSeconds, x.durationSeconds])).toEqual([['p0', 0, 11.5], ['p3', 11.5, undefined]]);
    expect(mpdProblems(renderMpd(back.mpd))).toEqual([]);
  });

  it('a codec change is a new Period with the new init section, not connected to the last', () => {
    const { p, renditions } = dashPackager({ lowLatency: true });
    p.setTracks(tracks, T0);
    publish(p, tracks, 0, 4 + 1 / 30);
    const dash = new LiveDashPresentation();
    dash.render(renditions(), OPTIONS);
    const changed = [{ ...videoTrack([1, 0x4d, 0, 0x1e, 0xff, 0xe0]), codecString: 'avc1.4d001e' }, audioTrack()];
    p.setTracks(changed, T0 + 5000);
    publish(p, changed, 4 + 1 / 30, 8 + 1 / 30);
    const text = renderMpd(dash.render(renditions(), OPTIONS)!.mpd);
    expect(text).toContain('<Period id="p3" start="PT6S">');
    expect(text).toContain('initialization="video/init-1.mp4"');
    expect(text).toContain('codecs="avc1.4d001e"');
    const second = text.slice(text.indexOf('<Period id="p3"'));
    expect(second).not.toMatch(/<AdaptationSet id="1"[^>]*>\s*<SupplementalProperty/);
    expect(second).toContain('<SupplementalProperty schemeIdUri="urn:mpeg:dash:period-connectivity:2015" value="p0"/>'); // audio: unchanged
    expect(mpdProblems(text)).toEqual([]);
  });

  it('low-latency refused, with the reason, when segments do not last the segment target (a 4 s keyframe interval)', () => {
    const { p, renditions } = dashPackager({ lowLatency: true });
    p.setTracks(tracks, T0);
    publish(p, tracks, 0, 12 + 1 / 30, { gop: 120 });
    const result = new LiveDashPresentation().render(renditions(), { ...OPTIONS, lowLatency: LL })!;
    expect(result.notLowLatency).toBe('segment 0 of video lasts 4.000 s, not the 2 s segment target: set the encoder\'s keyframe interval to 2 s');
    const text = renderMpd(result.mpd);
    expect(text).toMatch(/<S t="0" d="360000"( r="\d")?\/>/);
    expect(text).toContain('suggestedPresentationDelay="PT4S"');
    expect(text).not.toContain('availabilityTimeComplete');
  });

  it('an ended stream: no minimumUpdatePeriod, mediaPresentationDuration up to the last segment\'s end', () => {
    const { p, renditions } = dashPackager({ lowLatency: true });
    p.setTracks(tracks, T0);
    publish(p, tracks, 0, 5);
    const dash = new LiveDashPresentation();
    expect(renderMpd(dash.render(renditions(), OPTIONS)!.mpd)).toContain('minimumUpdatePeriod="PT1S"');
    p.end(T0 + 7000);
    const text = renderMpd(dash.render(renditions(), { ...OPTIONS, nowMs: T0 + 7001 })!.mpd);
    expect(text).not.toContain('minimumUpdatePeriod');
    // Video ends at 5 s of media time (its last frame lasts as long as the one before), audio at 5.013 s.
    expect(text).toContain('mediaPresentationDuration="PT5.013S"');
    expect(text).toContain('publishTime="2026-01-01T00:00:07.001Z"');
    expect(mpdProblems(text)).toEqual([]);
  });

  it('low-latency refused without LL-HLS parts', () => {
    const { p, renditions } = dashPackager({ lowLatency: false });
    p.setTracks(tracks, T0);
    publish(p, tracks, 0, 6 + 1 / 30);
    expect(new LiveDashPresentation().render(renditions(), { ...OPTIONS, lowLatency: LL })!.notLowLatency).toMatch(/^LL-HLS parts are off/);
  });

  it('low-latency: segments drifting off the @duration grid (2.1 s GOPs for a 2 s target) re-anchor with a period-continuity Period', () => {
    const { p, renditions } = dashPackager({ lowLatency: true });
    p.setTracks(tracks, T0);
    const dash = new LiveDashPresentation();
    const periods: string[] = [];
    for (let k = 1; k <= 8; k++) {
      publish(p, tracks, (k - 1) * 2.1, k * 2.1, { gop: 63 });
      const result = dash.render(renditions(), { ...OPTIONS, lowLatency: LL });
      if (result === undefined) continue;
      expect(result.notLowLatency).toBeUndefined();
      for (const x of result.mpd.periods) if (!periods.includes(x.id)) periods.push(x.id);
      expect(dateErrors(result.mpd, renditions()).every((e) => Math.abs(e) < 1)).toBe(true);
      expect(mpdProblems(renderMpd(result.mpd))).toEqual([]);
    }
    // 0.1 s off per segment: past 2 s / 8 at the third segment of each Period.
    expect(periods).toEqual(['p0', 'p3', 'p6']);
    expect(renderMpd(dash.render(renditions(), { ...OPTIONS, lowLatency: LL })!.mpd)).toContain('<SupplementalProperty schemeIdUri="urn:mpeg:dash:period-continuity:2015" value="p3"/>');
  });

  it('encoder clock drift: an encoder 2 % slow gets its dates re-anchored past 250 ms, which the MPD shows as a period-continuity Period; every segment stays at its date', () => {
    const { p, renditions } = dashPackager({ lowLatency: true });
    p.setTracks(tracks, T0);
    const dash = { regular: new LiveDashPresentation(), ll: new LiveDashPresentation() };
    const periods = new Set<string>();
    for (let k = 0; k < 12; k++) {
      publish(p, tracks, 2 * k, 2 * k + 2, { rate: 1.02 });
      for (const [flavour, presentation] of Object.entries(dash)) {
        const result = presentation.render(renditions(), flavour === 'll' ? { ...OPTIONS, lowLatency: LL } : OPTIONS);
        if (result === undefined) continue;
        for (const period of result.mpd.periods) periods.add(`${flavour} ${period.id}`);
        expect(dateErrors(result.mpd, renditions()).every((e) => Math.abs(e) < 1)).toBe(true);
        expect(mpdProblems(renderMpd(result.mpd))).toEqual([]);
        if (result.mpd.periods.length > 1) expect(renderMpd(result.mpd)).toContain('urn:mpeg:dash:period-continuity:2015');
      }
    }
    // 40 ms a segment: past 250 ms after 7 segments, then again 7 later.
    expect(p.counters.clockReanchors).toBe(1);
    expect([...periods].filter((x) => x.startsWith('regular')).length).toBe(2);
    // The dates follow the arrivals again: the newest segment's date is within the bound of when its first frame came.
    const newest = renditions().find((r) => r.name === 'video')!.timeline.segments.at(-1)!;
    expect(Math.abs(newest.programDateTimeMs - (T0 + 1000 + Math.round(newest.msn * 2000 * 1.02)))).toBeLessThanOrEqual(250);
  });

  it('property: AST + Period@start + (S@t − PTO)/timescale is every segment\'s PROGRAM-DATE-TIME (to the ms), and what was shown never moves', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }), // arrival of the first frame after T0, ms
        fc.integer({ min: 0, max: 2 ** 31 }), // video media time origin, 90 kHz ticks
        fc.integer({ min: 0, max: 60 }), // audio starts this many ms after video
        fc.integer({ min: 1, max: 4 }), // segments before a republish
        fc.integer({ min: 0, max: 30_000 }), // gap before the republish, ms
        fc.boolean(), // low-latency flavour
        (arrival, origin, audioLagMs, before, gapMs, lowLatency) => {
          const { p, renditions } = dashPackager({ lowLatency: true });
          p.setTracks(tracks, T0);
          const audioOrigin = Math.round((origin / 90_000) * 48_000) + audioLagMs * 48;
          const dash = new LiveDashPresentation();
          const options = { ...OPTIONS, ...(lowLatency ? { lowLatency: LL } : {}) };
          const seen = new Map<string, string>();
          const check = (): void => {
            const result = dash.render(renditions(), options);
            if (result === undefined) return;
            for (const e of dateErrors(result.mpd, renditions())) expect(Math.abs(e)).toBeLessThan(1);
            expect(result.mpd.availabilityStartTimeMs).toBe(seen.get('ast') === undefined ? result.mpd.availabilityStartTimeMs : Number(seen.get('ast')));
            seen.set('ast', String(result.mpd.availabilityStartTimeMs));
            for (const period of result.mpd.periods) {
              const fixed = JSON.stringify([period.startSeconds, period.adaptationSets.map((a) => a.representations.map((r) => r.segmentTemplate.presentationTimeOffset))]);
              if (seen.has(period.id)) expect(fixed).toBe(seen.get(period.id));
              seen.set(period.id, fixed);
            }
          };
          for (let k = 0; k < before; k++) {
            publish(p, tracks, 2 * k, 2 * k + 2, { arrivalMs: T0 + arrival, videoOrigin: origin, audioOrigin });
            check();
          }
          p.pause(T0 + arrival + 2000 * before);
          p.resume(T0 + arrival + 2000 * before + gapMs);
          p.setTracks(tracks, T0 + arrival + 2000 * before + gapMs);
          for (let k = 0; k < 4; k++) {
            publish(p, tracks, 2 * k, 2 * k + 2 + (k === 3 ? 1 / 30 : 0), { arrivalMs: T0 + arrival + 2000 * before + gapMs + 7, videoOrigin: 1000, audioOrigin: 1000 });
            check();
          }
        },
      ),
      { numRuns: 40, examples: [[0, 0, 0, 1, 0, true]] },
    );
  });

  it('the real fixture (B-frames, 44.1 kHz AAC from 44 ms) maps every segment onto its date', () => {
    const { p, renditions } = dashPackager({ lowLatency: true });
    const fixture = fixtureTracks();
    p.setTracks(fixture, T0);
    const dash = { regular: new LiveDashPresentation(), ll: new LiveDashPresentation() };
    let checked = 0;
    for (const { sample, seconds } of loopedFixture(3)) {
      p.pushSample(sample, T0 + 500 + Math.round(seconds * 1000));
      for (const [flavour, presentation] of Object.entries(dash)) {
        const result = presentation.render(renditions(), flavour === 'll' ? { ...OPTIONS, lowLatency: LL } : OPTIONS);
        if (result === undefined) continue;
        for (const e of dateErrors(result.mpd, renditions())) {
          expect(Math.abs(e)).toBeLessThan(1);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });
});
