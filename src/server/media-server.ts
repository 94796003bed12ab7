import { EventEmitter } from 'eventemitter3';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { LivePartEvent, LiveSegmentEvent } from '../hls/index.js';
import { LiveDelivery, limitConnections, registerDelivery, summarizeStreams, type ConnectionLimitCounters } from '../http/index.js';
import { Hub, type LiveStream } from '../hub/index.js';
import { RtmpServer } from '../rtmp/index.js';
import { MemoryStore, type SegmentStore } from '../store/index.js';
import { HlsEgress, type StreamName } from './hls-egress.js';
import { createHttpServer } from './http-server.js';
import { resolveMediaServerOptions, type MediaServerOptions, type ResolvedMediaServerOptions } from './media-server-options.js';
import { RtmpIngest } from './rtmp-ingest.js';
import { serveRtmpPlayback } from './rtmp-playback.js';

export interface MediaServerEvents {
  publish: [stream: StreamName];
  unpublish: [stream: StreamName];
  /** A segment was published to the store (every rendition). */
  segment: [stream: StreamName, segment: LiveSegmentEvent];
  /** LL-HLS: a part was published to the store (every rendition); blocking requests for it are released right after. */
  part: [stream: StreamName, part: LivePartEvent];
  /**
   * A stream's health: its packaging, end or clean-up failed (a store write, media the packager
   * refused), or its publish was ended by a limit (ERR_MEDIA_KEYFRAME_OVERDUE). That stream only;
   * the server goes on.
   */
  streamError: [stream: StreamName, error: unknown];
}

/** What the server's limits did since it started (docs/limits.md). */
export interface MediaServerCounters {
  /** Publishes ended for want of a video keyframe (ERR_MEDIA_KEYFRAME_OVERDUE). */
  keyframeOverdue: number;
  /** streamError events, all causes. */
  streamErrors: number;
  /** Publishes and plays refused (bad names, a key already published, the embedder's rejects). */
  refusedStreams: number;
}

/**
 * The composition root (design.md): RTMP ingest → hub → HLS egress (packager → store, snapshots →
 * delivery) → HTTP, and RTMP playback from the hub. Wiring only: each adapter is its own file.
 * `npm start` runs one with the defaults; embedders create their own.
 */
export class MediaServer extends EventEmitter<MediaServerEvents> {
  readonly rtmp: RtmpServer;
  readonly hub: Hub;
  readonly http: FastifyInstance;
  readonly store: SegmentStore;
  readonly settings: ResolvedMediaServerOptions;
  /** LL-HLS blocking playlist reloads and preload-hinted part requests, answered from the packagers' snapshots. */
  readonly liveDelivery: LiveDelivery;
  readonly counters: MediaServerCounters = { keyframeOverdue: 0, streamErrors: 0, refusedStreams: 0 };
  /** HTTP connections open and refused by http.maxConnections / http.maxConnectionsPerAddress. */
  readonly httpConnections: Readonly<ConnectionLimitCounters>;
  /** Each stream's HLS output, from its first publish until its files are deleted. */
  readonly egress = new Map<LiveStream, HlsEgress>();
  private readonly options: MediaServerOptions;
  private readonly now: () => number;
  /** RTMP publishes → hub publishers (and the keyframe watch). */
  private readonly ingest: RtmpIngest;

  constructor(options: MediaServerOptions = {}) {
    super();
    this.options = options;
    this.settings = resolveMediaServerOptions(options);
    this.now = options.now ?? Date.now;
    this.store = options.store ?? new MemoryStore(options.memoryStore);
    this.hub = new Hub(options.hub);
    this.rtmp = new RtmpServer(options.rtmp);
    this.http = createHttpServer(options);
    this.httpConnections = limitConnections(this.http.server, options.http);
    this.liveDelivery = new LiveDelivery();
    registerDelivery(this.http, { store: this.store, streams: () => summarizeStreams(this.hub, this.now()), liveDelivery: this.liveDelivery });
    this.hub.on('streamStart', ({ stream }) => this.egressOf(stream).start());
    this.ingest = new RtmpIngest(this.rtmp, this.hub, {
      now: this.now,
      limits: this.settings,
      events: {
        publish: (stream) => this.emit('publish', stream),
        unpublish: (stream) => this.emit('unpublish', stream),
        limit: (stream, error) => {
          this.counters.keyframeOverdue += 1;
          this.streamError(stream, error);
        },
      },
    });
    this.rtmp.on('refusedStream', () => void (this.counters.refusedStreams += 1));
    serveRtmpPlayback(this.rtmp, this.hub, { now: this.now, absoluteTimestamps: this.settings.rtmpPlayAbsoluteTimestamps });
  }

  /** Starts RTMP and HTTP; resolves with the bound ports. */
  async listen(): Promise<{ rtmp: AddressInfo; http: AddressInfo }> {
    const rtmp = await this.rtmp.listen();
    await this.http.listen({ port: this.settings.httpPort, host: this.settings.httpHost });
    return { rtmp, http: this.http.server.address() as AddressInfo };
  }

  /** Closes sessions, ends every playlist at once, stops listening. */
  async close(): Promise<void> {
    await this.rtmp.close();
    // One stream's failing end is reported; the others still end and the server still closes.
    for (const egress of this.egress.values()) await egress.close();
    // Parked blocking requests hold their connections open: answer them before closing HTTP.
    this.liveDelivery.close();
    await this.http.close();
  }

  /** Reports a stream's failure as 'streamError' (its health event) and counts it. */
  private streamError(stream: StreamName, error: unknown): void {
    this.counters.streamErrors += 1;
    this.emit('streamError', { app: stream.app, streamKey: stream.streamKey }, error);
  }

  private egressOf(stream: LiveStream): HlsEgress {
    let egress = this.egress.get(stream);
    if (egress !== undefined) return egress;
    const group = (name: StreamName): string => `${name.app}/${name.streamKey}`;
    egress = new HlsEgress(stream, {
      store: this.store,
      hls: this.options.hls,
      now: this.now,
      endGraceMs: this.settings.endGraceMs,
      endedRetentionMs: this.settings.endedRetentionMs,
      events: {
        segment: (name, segment) => this.emit('segment', name, segment),
        part: (name, part) => this.emit('part', name, part),
        snapshot: (name, snapshot) => this.liveDelivery.publish(group(name), snapshot),
        error: (name, error) => this.streamError(name, error),
        forgotten: (name) => {
          this.egress.delete(stream);
          this.liveDelivery.forget(group(name));
          // Only streams that ended at least a grace plus a retention ago: this one, not one in its grace.
          this.hub.removeIdle(this.now(), this.settings.endGraceMs + this.settings.endedRetentionMs);
        },
      },
    });
    this.egress.set(stream, egress);
    return egress;
  }
}

/** `createMediaServer(options)`: the `tidecast` package's entry point. */
export function createMediaServer(options: MediaServerOptions = {}): MediaServer {
  return new MediaServer(options);
}
