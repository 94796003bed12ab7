import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { StreamSummary } from '../../src/http/index.js';
import type { LiveSegmentEvent } from '../../src/hls/index.js';
import type { HealthReport } from '../../src/observability/index.js';
import { ServerMetrics } from '../../src/server/metrics.js';

/** ServerMetrics over given figures: the per-stream series, the cap on streams, the publish delay histogram. */

function summary(key: string, over: Partial<StreamSummary> = {}): StreamSummary {
  return {
    app: 'live',
    streamKey: key,
    video: { codec: 'avc1.4d401f', width: 640, height: 360, frameRate: 30 },
    audio: { codec: 'mp4a.40.2', sampleRate: 48_000, channels: 2 },
    bitrateKbps: 900,
    uptimeSeconds: 12.5,
    playlist: `/live/${key}/index.m3u8`,
    dash: { mpd: '', lowLatencyMpd: '' },
    counters: { readerDroppedSamples: 3, rtmpPlayerDroppedFrames: 0, partsOffTarget: 0, tagsBeforeConfig: 1, tagsUnsupported: 0, parkedExpired: 0, parkedRefused: 0 },
    ...over,
  };
}

const HEALTH: HealthReport = {
  status: 'bad',
  findings: [{ type: 'gopLongerThanSegment', severity: 'error', actual: '10.0 s between keyframes', expected: '2 s', advice: '' }],
  measures: { windowSeconds: 12, frameRate: 30, keyframeIntervalSeconds: 10, bitsPerSecond: 900_000, maxCompositionOffsetMs: 0 },
};

function metricsOf(streams: StreamSummary[], maxStreams?: number): { metrics: ServerMetrics; emit: (key: string, segment: LiveSegmentEvent) => void } {
  const listeners: Array<(name: { app: string; streamKey: string }, segment: LiveSegmentEvent) => void> = [];
  const metrics = new ServerMetrics(
    {
      streams: () => streams,
      health: (_app, key) => (key === 'a' ? HEALTH : undefined),
      rtmpPlayers: (_app, key) => (key === 'a' ? 2 : 0),
      parked: () => 7,
      now: () => 1_000_010_000,
      onSegment: (listener) => listeners.push(listener),
    },
    maxStreams === undefined ? {} : { maxStreams },
  );
  return { metrics, emit: (key, segment) => listeners.forEach((l) => l({ app: 'live', streamKey: key }, segment)) };
}

const line = (text: string, name: string): string[] => text.split('\n').filter((l) => l.startsWith(name));

describe('ServerMetrics', () => {
  it('per-stream series with a stream label, health issues, counters, and the process metrics, all tidecast_', async () => {
    const { metrics } = metricsOf([summary('a'), summary('b', { bitrateKbps: 400 })]);
    const text = await metrics.text();
    expect(line(text, 'tidecast_stream_bitrate_bits_per_second{')).toEqual(['tidecast_stream_bitrate_bits_per_second{stream="live/a"} 900000', 'tidecast_stream_bitrate_bits_per_second{stream="live/b"} 400000']);
    expect(line(text, 'tidecast_stream_frame_rate{stream="live/a"}')).toEqual(['tidecast_stream_frame_rate{stream="live/a"} 30']);
    expect(line(text, 'tidecast_stream_keyframe_interval_seconds{')).toEqual(['tidecast_stream_keyframe_interval_seconds{stream="live/a"} 10']);
    expect(line(text, 'tidecast_stream_health_issues{')).toEqual(['tidecast_stream_health_issues{stream="live/a",type="gopLongerThanSegment",severity="error"} 1']);
    expect(line(text, 'tidecast_stream_viewers{stream="live/a"')).toEqual(['tidecast_stream_viewers{stream="live/a",protocol="rtmp"} 2']);
    expect(line(text, 'tidecast_stream_reader_dropped_samples_total{stream="live/a"}')).toEqual(['tidecast_stream_reader_dropped_samples_total{stream="live/a"} 3']);
    expect(line(text, 'tidecast_lowlatency_parked_requests ')).toEqual(['tidecast_lowlatency_parked_requests 7']);
    expect(line(text, 'tidecast_streams_live ')).toEqual(['tidecast_streams_live 2']);
    expect(line(text, 'tidecast_process_cpu_seconds_total ')).toHaveLength(1);
    // Every metric is ours: no unprefixed name.
    expect(text.split('\n').filter((l) => l.length > 0 && !l.startsWith('#') && !l.startsWith('tidecast_'))).toEqual([]);
  });

  it('at most maxStreams streams get series (by name); the others are counted, their segments observed unlabelled', async () => {
    const { metrics, emit } = metricsOf(['c', 'a', 'b'].map((k) => summary(k)), 2);
    const text = await metrics.text();
    expect(line(text, 'tidecast_stream_uptime_seconds{').map((l) => l.split(' ')[0])).toEqual(['tidecast_stream_uptime_seconds{stream="live/a"}', 'tidecast_stream_uptime_seconds{stream="live/b"}']);
    expect(line(text, 'tidecast_streams_over_cap ')).toEqual(['tidecast_streams_over_cap 1']);
    const segment = { track: 'video', trackId: 1, msn: 4, durationSeconds: 2, byteLength: 1000, programDateTimeMs: 1_000_007_950, generation: 0 } as unknown as LiveSegmentEvent;
    emit('a', segment); // listed 10 000 − 7 950 − 2 000 = 50 ms after its media ended
    emit('c', segment);
    const after = await metrics.text();
    expect(line(after, 'tidecast_segment_publish_delay_seconds_bucket{le="0.05",stream="live/a"}')).toEqual(['tidecast_segment_publish_delay_seconds_bucket{le="0.05",stream="live/a"} 1']);
    expect(line(after, 'tidecast_segment_publish_delay_seconds_bucket{le="0.025",stream="live/a"}')).toEqual(['tidecast_segment_publish_delay_seconds_bucket{le="0.025",stream="live/a"} 0']);
    expect(line(after, 'tidecast_segment_publish_delay_seconds_count{stream=""}')).toEqual(['tidecast_segment_publish_delay_seconds_count{stream=""} 1']);
  });

  it('docs/grafana-dashboard.json and docs/metrics.md name only metrics the server exports', async () => {
    const { metrics, emit } = metricsOf([summary('a')]);
    emit('a', { durationSeconds: 2, programDateTimeMs: 1_000_007_990 } as unknown as LiveSegmentEvent);
    // The series a server adds when it has them: the default store's, object storage's.
    metrics.watchStore(() => ({ bytes: 1, spilledBytes: 2, files: 3 }));
    metrics.watchUploads(() => ({ completed: 0, failedAttempts: 0, uploadedBytes: 0, pending: 0, pendingBytes: 0, memoryBytes: 0 }));
    const exported = new Set((await metrics.text()).split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]!));
    const base = (name: string): string => name.replace(/_(bucket|count|sum)$/, '');
    const dashboard = readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8');
    const named = new Set([...dashboard.matchAll(/tidecast_[a-z_]+/g)].map((m) => base(m[0])));
    expect([...named].filter((n) => !exported.has(n))).toEqual([]);
    const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/`(tidecast_[a-z_]+)`/g)].map((m) => m[1]!);
    expect(documented.filter((n) => !exported.has(n))).toEqual([]);
    // And every tidecast_stream_ / segment metric is documented.
    expect([...exported].filter((n) => /^tidecast_(stream|streams|segment|lowlatency|store|upload|uploads|uploaded)_/.test(n) && !documented.includes(n))).toEqual([]);
  });
});
