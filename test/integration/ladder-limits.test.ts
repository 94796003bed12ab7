import { afterEach, describe, expect, it } from 'vitest';
import { checkLadderSpec } from '../../src/transcode/index.js';
import { ffmpegPath, spawnFfmpeg } from '../helpers/ffmpeg.js';
import { withTimeout } from '../helpers/process.js';
import { getText, nextPublish, startLiveServer, waitUntil, type LiveServer } from '../helpers/live.js';

/*
 * Issue 10, the ladder's two limits:
 * - a source whose keyframes are further apart than the segment target: after its first GOP the
 *   ladder is planned again with a keyframe every segment target in the encoded rungs, the copy
 *   rung leaves (it cannot follow), one DISCONTINUITY, and /api/streams says why;
 * - the server's transcode budget (pixels per second): a ladder over it loses rungs from the
 *   largest down, each with the reason.
 */

const ffmpeg = await ffmpegPath();

interface StreamsAnswer {
  streamKey: string;
  ladder?: { plan?: { rungs: string[]; dropped: Array<{ name: string; reason: string }> } };
}

function publish(live: LiveServer, key: string, gopFrames: number, seconds: number) {
  return spawnFfmpeg(
    [
      '-v', 'error', '-re',
      '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=30:duration=${seconds}`,
      '-f', 'lavfi', '-i', `sine=sample_rate=48000:duration=${seconds}`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-g', String(gopFrames), '-keyint_min', String(gopFrames), '-sc_threshold', '0', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-f', 'flv', live.rtmpUrl(`live/${key}`),
    ],
    { timeoutMs: (seconds + 20) * 1000 },
  ); // prettier-ignore
}

async function streams(live: LiveServer): Promise<StreamsAnswer[]> {
  return (JSON.parse((await getText(live.httpUrl('api/streams')))!) as { streams: StreamsAnswer[] }).streams;
}

describe.skipIf(ffmpeg === undefined)('the ladder under its limits', () => {
  let live: LiveServer | undefined;
  afterEach(async () => {
    await live?.close();
    live = undefined;
  });

  it('a 4 s source GOP over a 2 s segment target: keyframes added every 2 s in the rungs, the copy rung dropped, one DISCONTINUITY', async () => {
    const ladder = checkLadderSpec({ rungs: [{ codec: 'copy', name: 'src' }, { codec: 'h264', height: 180, bitrateKbps: 200, preset: 'ultrafast' }, { codec: 'h264', height: 120, bitrateKbps: 120, preset: 'ultrafast' }] });
    live = await startLiveServer({ endGraceMs: 500, hls: { segmentTargetSeconds: 2, windowSegments: 20 }, transcode: { ladder } });
    const accepted = nextPublish(live.server, 'gop');
    const run = await publish(live, 'gop', 120, 14);
    await withTimeout(accepted, 10_000, 'publish');
    await waitUntil(async () => (await streams(live!)).find((s) => s.streamKey === 'gop')?.ladder?.plan?.rungs.join() === '180p,120p', 15_000, 'the re-planned ladder');
    const stream = (await streams(live)).find((s) => s.streamKey === 'gop')!;
    expect(stream.ladder!.plan!.dropped).toEqual([{ name: 'src', reason: expect.stringMatching(/^the source's keyframes are 4\.0 s apart, over the 2 s segment target/) }]);
    expect((await withTimeout(run.done, 30_000, 'publisher')).stderr).toBe('');
    const playlist = async (name: string): Promise<string> => (await getText(live!.httpUrl(`live/gop/${name}/plain.m3u8`)))!;
    await waitUntil(async () => (await playlist('180p')).includes('#EXT-X-ENDLIST'), 15_000, 'ENDLIST');
    for (const rung of ['180p', '120p']) {
      const text = await playlist(rung);
      expect(text.match(/#EXT-X-DISCONTINUITY\n/g), `${rung}: one discontinuity, at the re-plan`).toHaveLength(1);
      // After the re-plan every segment but the last lasts the 2 s target (a keyframe every 2 s).
      const after = text.slice(text.indexOf('#EXT-X-DISCONTINUITY\n'));
      const durations = [...after.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));
      expect(durations.length).toBeGreaterThanOrEqual(3);
      for (const d of durations.slice(0, -1)) expect(d, text).toBeCloseTo(2, 1);
    }
    // The copy rung's playlist ended at the re-plan and left the multivariant.
    expect(await playlist('src')).toContain('#EXT-X-ENDLIST');
    expect(await getText(live.httpUrl('live/gop/index.m3u8'))).not.toContain('src/index.m3u8');
  }, 60_000);

  it('a transcode budget below the ladder: the largest rung goes, with the reason', async () => {
    const ladder = checkLadderSpec({ rungs: [{ codec: 'copy', name: 'src' }, { codec: 'h264', height: 180, bitrateKbps: 200, preset: 'ultrafast' }, { codec: 'h264', height: 120, bitrateKbps: 120, preset: 'ultrafast' }] });
    // The 320x240 decode and the 160x120 rung fit; the 240x180 rung does not.
    const budget = (320 * 240 + 160 * 120) * 30 + 1;
    live = await startLiveServer({ endGraceMs: 500, transcode: { ladder, maxPixelsPerSecond: budget } });
    const accepted = nextPublish(live.server, 'budget');
    const run = await publish(live, 'budget', 60, 6);
    await withTimeout(accepted, 10_000, 'publish');
    await waitUntil(async () => (await streams(live!)).find((s) => s.streamKey === 'budget')?.ladder?.plan !== undefined, 10_000, 'the plan');
    const plan = (await streams(live)).find((s) => s.streamKey === 'budget')!.ladder!.plan!;
    expect(plan.rungs).toEqual(['src', '120p']);
    expect(plan.dropped).toEqual([{ name: '180p', reason: expect.stringMatching(/^over the server's transcode budget \(\d+\.\d Mpx\/s left\)$/) }]);
    await waitUntil(async () => (await getText(live!.httpUrl('live/budget/index.m3u8')))?.includes('120p/index.m3u8') === true, 15_000, 'the multivariant');
    expect(await getText(live.httpUrl('live/budget/index.m3u8'))).not.toContain('180p/index.m3u8');
    await withTimeout(run.done, 20_000, 'publisher');
  }, 40_000);
});
