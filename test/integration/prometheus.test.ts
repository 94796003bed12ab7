import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpegPath } from '../helpers/ffmpeg.js';
import { startLiveServer, waitUntil, type LiveServer } from '../helpers/live.js';
import { PROMETHEUS_SKIP_REASON, prometheusPath, startPrometheus, type Prometheus } from '../helpers/prometheus.js';

/**
 * Issue 12, "Done when" 5: a real Prometheus (Debian's) scrapes `/metrics` every second while
 * ffmpeg publishes the fixture (h264-aac.flv, looped, real time), and the per-stream series hold
 * the expected values: the stream's bit rate as /api/streams has it, its frame rate, its
 * keyframe interval, its uptime; and segments' publish delays in the histogram.
 */

const ffmpeg = await ffmpegPath();
const CONTROL_SUITE = process.env['TIDECAST_CONTROL'] === '1'; // .ci/run runs the control plane's real-client suites alone, once
const skip = !CONTROL_SUITE ? ' (skipped: TIDECAST_CONTROL=1 runs it)' : ffmpeg === undefined ? ' (skipped: ffmpeg not found)' : PROMETHEUS_SKIP_REASON;
const KEY = 'prom';

let live: LiveServer | undefined;
let prometheus: Prometheus | undefined;

describe.skipIf(!CONTROL_SUITE || prometheusPath === undefined || ffmpeg === undefined)(`/metrics scraped by Prometheus${skip}`, () => {
  beforeAll(async () => {
    live = await startLiveServer();
    prometheus = await startPrometheus(new URL(live.httpUrl('')).host);
    await live.publish(KEY, { loop: true, seconds: 40, timeoutMs: 60_000 });
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await live?.close();
  });

  it('the per-stream series appear with the publish\'s values', async () => {
    const stream = `live/${KEY}`;
    const series = async (name: string): Promise<number | undefined> => (await prometheus!.query(`${name}{stream="${stream}"}`))[0]?.value;
    // The keyframe interval needs two keyframes and a scrape after them; the delay histogram a listed segment.
    await waitUntil(async () => (await series('tidecast_stream_keyframe_interval_seconds')) !== undefined && (await series('tidecast_segment_publish_delay_seconds_count')) !== undefined, 30_000, 'the series in Prometheus', 500);
    const api = (await (await fetch(live!.httpUrl('api/streams'))).json()) as { streams: Array<{ streamKey: string; bitrateKbps: number; video: { frameRate: number } }> };
    const summary = api.streams.find((s) => s.streamKey === KEY)!;
    const bitrate = (await series('tidecast_stream_bitrate_bits_per_second'))!;
    // One scrape ago against now: the same window a second apart.
    expect(bitrate).toBeGreaterThan(summary.bitrateKbps * 1000 * 0.7);
    expect(bitrate).toBeLessThan(summary.bitrateKbps * 1000 * 1.3);
    expect(await series('tidecast_stream_frame_rate')).toBeCloseTo(summary.video.frameRate, 0);
    const keyframe = (await series('tidecast_stream_keyframe_interval_seconds'))!;
    expect(keyframe).toBeGreaterThan(0.5);
    expect(keyframe).toBeLessThan(5);
    expect(await series('tidecast_stream_uptime_seconds')).toBeGreaterThan(1);
    expect(await series('tidecast_stream_viewers')).toBe(0);
    // Segments are listed at the keyframe that ends them: a delay well under a second.
    const delayed = await prometheus!.query(`tidecast_segment_publish_delay_seconds_bucket{stream="${stream}",le="1"} / ignoring(le) tidecast_segment_publish_delay_seconds_count{stream="${stream}"}`);
    expect(delayed[0]?.value).toBe(1);
    expect((await prometheus!.query('tidecast_streams_live'))[0]?.value).toBe(1);
    expect((await prometheus!.query('up{job="tidecast"}'))[0]?.value).toBe(1);
  }, 60_000);
});
