import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthReport } from '../../src/observability/index.js';
import { ffmpegPath, spawnFfmpeg, type FfmpegRun } from '../helpers/ffmpeg.js';
import { nextPublish, startLiveServer, type LiveServer } from '../helpers/live.js';
import { killByPid, withTimeout } from '../helpers/process.js';

/**
 * Issue 12, "Done when" 6: ffmpeg publishes, each with one encoder fault, all at once, and
 * `GET /api/streams/live/<key>/health` names the fault with its advice; a clean publish gets
 * nothing. 320x240 ultrafast (2 cores), -re for PUBLISH_SECONDS.
 */

const PUBLISH_SECONDS = 14;
const ffmpeg = await ffmpegPath();
const CONTROL_SUITE = process.env['TIDECAST_CONTROL'] === '1'; // .ci/run runs the control plane's real-client suites alone, once
const skip = !CONTROL_SUITE ? 'TIDECAST_CONTROL=1 runs it (about 15 s)' : ffmpeg === undefined ? 'ffmpeg not found (FFMPEG_PATH, PATH, @ffmpeg-installer)' : undefined;

/** A 320x240 30 fps publisher with AAC; `video`/`audio` filters and x264 options make the fault. */
function publisherArgs(rtmpUrl: string, o: { gop?: number; videoFilter?: string; audioFilter?: string; vfr?: boolean } = {}): string[] {
  const gop = String(o.gop ?? 60);
  return [
    '-v', 'error', '-re',
    '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    ...(o.videoFilter === undefined ? [] : ['-vf', o.videoFilter]),
    ...(o.audioFilter === undefined ? [] : ['-af', o.audioFilter]),
    ...(o.vfr === true ? ['-fps_mode', 'vfr'] : []),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '0', '-g', gop, '-keyint_min', gop, '-sc_threshold', '0', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '64k',
    '-t', String(PUBLISH_SECONDS), '-f', 'flv', rtmpUrl,
  ]; // prettier-ignore
}

const CASES = {
  clean: {},
  // (a) a keyframe every 10 s
  gop10: { gop: 300 },
  // (b) every third frame dropped, the others keeping their times: frames 33 and 67 ms apart
  vfr: { videoFilter: "select='not(eq(mod(n\\,3)\\,1))'", vfr: true },
  // (c) 0.2 s of every 3 s of audio dropped, the rest keeping their times
  audioGaps: { audioFilter: "aselect='not(between(mod(t\\,3)\\,1.5\\,1.7))'" },
  // (d) both tracks' timestamps jump 5 s ahead 5 s in
  jump: { videoFilter: "setpts='PTS+gte(T\\,5)*5/TB'", audioFilter: "asetpts='PTS+gte(T\\,5)*5/TB'" },
} as const;
type Case = keyof typeof CASES;

let live: LiveServer | undefined;
const runs: FfmpegRun[] = [];
const reports = new Map<Case, HealthReport>();

describe.skipIf(skip !== undefined)(`stream health of real ffmpeg publishes${skip === undefined ? '' : ` (skipped: ${skip})`}`, () => {
  beforeAll(async () => {
    live = await startLiveServer();
    const keys = Object.keys(CASES) as Case[];
    await Promise.all(
      keys.map(async (key) => {
        const accepted = nextPublish(live!.server, key);
        const run = await spawnFfmpeg(publisherArgs(live!.rtmpUrl(`live/${key}`), CASES[key]), { timeoutMs: (PUBLISH_SECONDS + 30) * 1000 });
        runs.push(run);
        await withTimeout(Promise.race([accepted, run.done.then((r) => Promise.reject(new Error(`ffmpeg (${key}) ended before publishing: ${r.stderr}`)))]), 15_000, `publish of live/${key}`);
      }),
    );
    // Read while every publisher is still sending: the last seconds of each.
    await new Promise((r) => setTimeout(r, (PUBLISH_SECONDS - 2) * 1000));
    for (const key of keys) {
      const res = await fetch(live!.httpUrl(`api/streams/live/${key}/health`));
      expect(res.status, key).toBe(200);
      reports.set(key, (await res.json()) as HealthReport);
    }
  }, (PUBLISH_SECONDS + 60) * 1000);

  afterAll(async () => {
    for (const run of runs) killByPid(run.child);
    await Promise.all(runs.map((r) => r.done.catch(() => undefined)));
    await live?.close();
  });

  const found = (key: Case): string[] => reports.get(key)!.findings.map((f) => f.type);

  it('a clean publish (2 s keyframe interval, no B-frames, AAC) reports nothing', () => {
    expect(reports.get('clean')!.findings).toEqual([]);
    expect(reports.get('clean')!.status).toBe('good');
    expect(reports.get('clean')!.measures.keyframeIntervalSeconds).toBe(2);
  });

  it('(a) a 10 s keyframe interval: gopLongerThanSegment, an error, advising a 2 s keyframe interval', () => {
    const finding = reports.get('gop10')!.findings.find((f) => f.type === 'gopLongerThanSegment');
    expect(finding?.severity).toBe('error');
    expect(finding?.advice).toContain('Keyframe Interval 2 s');
    expect(reports.get('gop10')!.status).toBe('bad');
  });

  it('(b) a variable frame rate: variableFrameRate, advising a constant one', () => {
    expect(found('vfr')).toContain('variableFrameRate');
    expect(reports.get('vfr')!.findings.find((f) => f.type === 'variableFrameRate')!.advice).toContain('Common FPS Values');
  });

  it('(c) audio with gaps: audioGap, advising the device sample rate', () => {
    expect(found('audioGaps')).toContain('audioGap');
    expect(reports.get('audioGaps')!.findings.find((f) => f.type === 'audioGap')!.advice).toContain('Sample Rate');
  });

  it('(d) a timestamp jump: timestampJump in both tracks, an error', () => {
    const jumps = reports.get('jump')!.findings.filter((f) => f.type === 'timestampJump');
    expect(jumps.map((f) => f.actual)).toEqual(expect.arrayContaining([expect.stringMatching(/^video timestamps jumped 5\.\d s forward/), expect.stringMatching(/^audio timestamps jumped 5\.\d s forward/)]));
    expect(reports.get('jump')!.status).toBe('bad');
  });

  it('a test publish (`?test=1`) is analyzed and reported, never published', { timeout: 40_000 }, async () => {
    const run = await spawnFfmpeg(publisherArgs(live!.rtmpUrl('live/trial?test=1'), { gop: 300 }), { timeoutMs: (PUBLISH_SECONDS + 30) * 1000 });
    runs.push(run);
    let report: HealthReport | undefined;
    const deadline = Date.now() + 25_000;
    while (Date.now() < deadline && report?.findings.some((f) => f.type === 'gopLongerThanSegment') !== true) {
      await new Promise((r) => setTimeout(r, 500));
      const res = await fetch(live!.httpUrl('api/streams/live/trial/health'));
      if (res.status === 200) report = (await res.json()) as HealthReport;
    }
    expect(report?.findings.map((f) => f.type)).toContain('gopLongerThanSegment');
    // Nothing was published: no stream listed, no playlist, no publish event.
    const streams = (await (await fetch(live!.httpUrl('api/streams'))).json()) as { streams: Array<{ streamKey: string }> };
    expect(streams.streams.map((x) => x.streamKey)).not.toContain('trial');
    expect((await fetch(live!.httpUrl('live/trial/index.m3u8'))).status).toBe(404);
    expect(live!.server.hub.streams().some((x) => x.streamKey === 'trial')).toBe(false);
  });

  it('a key never published is a 404', async () => {
    expect((await fetch(live!.httpUrl('api/streams/live/nobody/health'))).status).toBe(404);
  });
});
