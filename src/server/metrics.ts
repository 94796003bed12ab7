import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StreamSummary } from '../http/index.js';
import type { LiveSegmentEvent } from '../hls/index.js';
import type { HealthReport } from '../observability/index.js';

/**
 * Prometheus metrics (docs/metrics.md), `tidecast_` names, read at scrape time from what the server
 * already keeps (the stream summaries of /api/streams, the health reports, the parked LL-HLS
 * requests), plus the segment publish delay observed as segments are listed. Cardinality is
 * bounded: a `stream` label (`<app>/<key>`) for at most `maxStreams` streams (by name), never a
 * viewer, session or IP label; the streams left out are counted.
 */

export interface MetricsSources {
  streams(): StreamSummary[];
  health(app: string, key: string): HealthReport | undefined;
  rtmpPlayers(app: string, key: string): number;
  /** HTTP viewers of a stream by protocol, where play authorization knows them as sessions (play-auth.ts). */
  httpViewers?(app: string, key: string): { hls: number; dash: number } | undefined;
  parked(): number;
  now(): number;
  /** Subscribes to the server's segment listings (its 'segment' event). */
  onSegment(listener: (name: { app: string; streamKey: string }, segment: LiveSegmentEvent) => void): unknown;
}

/** What the object storage uploader counts (object-storage.ts), as the metrics read it. */
export interface UploadFigures {
  readonly completed: number;
  readonly failedAttempts: number;
  readonly uploadedBytes: number;
  readonly pending: number;
  readonly pendingBytes: number;
  readonly memoryBytes: number;
}

export interface MetricsOptions {
  /** Streams given per-stream series; default 100. */
  readonly maxStreams?: number;
}

/** Segment publish delay buckets, seconds: from a few ms (a keyframe cut) to a held-back segment. */
const DELAY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class ServerMetrics {
  readonly registry = new Registry();
  readonly #sources: MetricsSources;
  readonly #maxStreams: number;
  readonly #delay: Histogram<'stream'>;
  /** The streams with series at the last scrape: a segment of another is observed without a stream label. */
  #shown = new Set<string>();
  /** The scrape in progress's streams (text()). */
  #current: StreamSummary[] | undefined;
  #liveCount = 0;

  constructor(sources: MetricsSources, options: MetricsOptions = {}) {
    this.#sources = sources;
    this.#maxStreams = options.maxStreams ?? 100;
    collectDefaultMetrics({ register: this.registry, prefix: 'tidecast_' });
    // The collect callbacks below run at scrape time, with `this` the metric: they reach the server's figures through it.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const metrics = this;
    const registers = [this.registry];
    const perStream = (collect: (gauge: Gauge<string>, shown: readonly StreamSummary[]) => void) =>
      function (this: Gauge<string>): void {
        this.reset();
        collect(this, metrics.#scrape());
      };
    new Gauge({ name: 'tidecast_streams_live', help: 'Live streams (being published or within their end grace).', registers, collect() { metrics.#scrape(); this.set(metrics.#liveCount); } }); // prettier-ignore
    new Gauge({ name: 'tidecast_streams_over_cap', help: 'Live streams left out of the per-stream series (over the cap).', registers, collect() { metrics.#scrape(); this.set(Math.max(0, metrics.#liveCount - metrics.#maxStreams)); } }); // prettier-ignore
    new Gauge({ name: 'tidecast_lowlatency_parked_requests', help: 'LL-HLS blocking playlist and hinted part requests waiting now.', registers, collect() { this.set(sources.parked()); } }); // prettier-ignore
    new Gauge({ name: 'tidecast_stream_bitrate_bits_per_second', help: 'Ingest payload bit rate (audio and video) over the hub\'s rate window.', labelNames: ['stream'], registers, collect: perStream((g, shown) => { for (const s of shown) g.set({ stream: nameOf(s) }, s.bitrateKbps * 1000); }) }); // prettier-ignore
    new Gauge({ name: 'tidecast_stream_frame_rate', help: 'Video frames per second (the bitstream\'s, else measured).', labelNames: ['stream'], registers, collect: perStream((g, shown) => { for (const s of shown) if (s.video?.frameRate !== undefined) g.set({ stream: nameOf(s) }, s.video.frameRate); }) }); // prettier-ignore
    new Gauge({ name: 'tidecast_stream_keyframe_interval_seconds', help: 'Longest keyframe interval over the health window.', labelNames: ['stream'], registers, collect: perStream((g, shown) => { for (const s of shown) { const k = sources.health(s.app, s.streamKey)?.measures.keyframeIntervalSeconds; if (k !== undefined) g.set({ stream: nameOf(s) }, k); } }) }); // prettier-ignore
    new Gauge({ name: 'tidecast_stream_uptime_seconds', help: 'Seconds since the stream\'s publish started.', labelNames: ['stream'], registers, collect: perStream((g, shown) => { for (const s of shown) g.set({ stream: nameOf(s) }, s.uptimeSeconds); }) }); // prettier-ignore
    new Gauge({ name: 'tidecast_stream_viewers', help: 'Viewers now, by protocol: RTMP players, and HLS and DASH viewers where play authorization gives them sessions.', labelNames: ['stream', 'protocol'], registers, collect: perStream((g, shown) => {
      for (const s of shown) {
        g.set({ stream: nameOf(s), protocol: 'rtmp' }, sources.rtmpPlayers(s.app, s.streamKey));
        const http = sources.httpViewers?.(s.app, s.streamKey);
        if (http === undefined) continue;
        g.set({ stream: nameOf(s), protocol: 'hls' }, http.hls);
        g.set({ stream: nameOf(s), protocol: 'dash' }, http.dash);
      }
    }) }); // prettier-ignore
    new Gauge({ name: 'tidecast_stream_health_issues', help: 'Stream-health findings now (docs/health.md), 1 per finding type and severity.', labelNames: ['stream', 'type', 'severity'], registers, collect: perStream((g, shown) => { for (const s of shown) for (const f of sources.health(s.app, s.streamKey)?.findings ?? []) g.set({ stream: nameOf(s), type: f.type, severity: f.severity }, 1); }) }); // prettier-ignore
    const dropped = (name: string, help: string, read: (c: NonNullable<StreamSummary['counters']>) => number): void => {
      new Counter({ name, help, labelNames: ['stream'], registers, collect() { this.reset(); for (const s of metrics.#scrape()) if (s.counters !== undefined) this.inc({ stream: nameOf(s) }, read(s.counters)); } }); // prettier-ignore
    };
    dropped('tidecast_stream_reader_dropped_samples_total', 'Samples the hub\'s readers (packager, RTMP players) dropped to the next keyframe.', (c) => c.readerDroppedSamples);
    dropped('tidecast_stream_rtmp_player_dropped_frames_total', 'Frames RTMP players were not sent (their connection could not keep up).', (c) => c.rtmpPlayerDroppedFrames);
    dropped('tidecast_stream_tags_before_config_total', 'Publisher frames before their sequence header (dropped).', (c) => c.tagsBeforeConfig);
    dropped('tidecast_stream_parked_expired_total', 'LL-HLS requests answered 503 after three target durations.', (c) => c.parkedExpired);
    this.#delay = new Histogram({ name: 'tidecast_segment_publish_delay_seconds', help: 'From the end of a segment\'s media (its date plus duration) to its listing in the playlist.', labelNames: ['stream'], buckets: DELAY_BUCKETS, registers });
    sources.onSegment((name, segment) => this.#segmentListed(nameOf(name), (sources.now() - segment.programDateTimeMs) / 1000 - segment.durationSeconds));
  }

  /** Object storage's series (docs/storage.md), read from `read()` at scrape time; registered only when it is configured. */
  watchUploads(read: () => UploadFigures): void {
    const registers = [this.registry];
    const counter = (name: string, help: string, value: (f: UploadFigures) => number): unknown => new Counter({ name, help, registers, collect() { this.reset(); this.inc(value(read())); } }); // prettier-ignore
    const gauge = (name: string, help: string, value: (f: UploadFigures) => number): unknown => new Gauge({ name, help, registers, collect() { this.set(value(read())); } }); // prettier-ignore
    counter('tidecast_uploads_completed_total', 'Objects put or deleted in the bucket.', (f) => f.completed);
    counter('tidecast_uploads_failed_total', 'Failed upload attempts (each is retried).', (f) => f.failedAttempts);
    counter('tidecast_uploaded_bytes_total', 'Bytes of the objects put in the bucket.', (f) => f.uploadedBytes);
    gauge('tidecast_uploads_pending', 'Uploads and deletes waiting or in flight.', (f) => f.pending);
    gauge('tidecast_uploads_pending_bytes', 'Bytes waiting to be uploaded, in memory or in the journal.', (f) => f.pendingBytes);
    gauge('tidecast_uploads_memory_bytes', 'Bytes waiting to be uploaded held in memory (bounded by maxMemoryBytes).', (f) => f.memoryBytes);
  }

  /** The default store's figures: segments in memory and in its spill folder (a DVR window's live on disk). */
  watchStore(read: () => { bytes: number; spilledBytes: number; files: number } | undefined): void {
    const registers = [this.registry];
    const gauge = (name: string, help: string, value: (f: { bytes: number; spilledBytes: number; files: number }) => number): unknown => new Gauge({ name, help, registers, collect() { const f = read(); if (f !== undefined) this.set(value(f)); } }); // prettier-ignore
    gauge('tidecast_store_memory_bytes', 'Bytes of the stored files held in memory (the hot segments and parts, playlists).', (f) => f.bytes);
    gauge('tidecast_store_spilled_bytes', 'Bytes of the stored files in the spill folder on disk (retired segments, a DVR window).', (f) => f.spilledBytes);
    gauge('tidecast_store_files', 'Files stored, in memory or spilled.', (f) => f.files);
  }

  /** A segment was listed: its publish delay is observed. Streams over the cap go unlabelled. */
  #segmentListed(stream: string, delaySeconds: number): void {
    const value = Math.max(0, delaySeconds);
    this.#delay.observe({ stream: this.#shown.has(stream) ? stream : '' }, value);
  }

  /** The text exposition of every metric: the stream summaries are gathered once for the whole scrape. */
  async text(): Promise<string> {
    this.#current = this.#scrape();
    try {
      return await this.registry.metrics();
    } finally {
      this.#current = undefined;
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The streams given series: the first `maxStreams` by name, once per scrape (text()). */
  #scrape(): StreamSummary[] {
    if (this.#current !== undefined) return this.#current;
    const all = this.#sources.streams();
    this.#liveCount = all.length;
    const shown = all
      .sort((a, b) => nameOf(a).localeCompare(nameOf(b)))
      .slice(0, this.#maxStreams);
    this.#shown = new Set(shown.map(nameOf));
    return shown;
  }
}

function nameOf(s: { app: string; streamKey: string }): string {
  return `${s.app}/${s.streamKey}`;
}
