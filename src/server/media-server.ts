import { EventEmitter } from 'eventemitter3';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { HlsLivePackager, type LivePartEvent, type LiveSegmentEvent } from '../hls/index.js';
import { MAX_STREAM_NAME_LENGTH } from '../config/index.js';
import { LiveDelivery, limitConnections, registerDelivery, summarizeStreams, type ConnectionLimitCounters } from '../http/index.js';
import { Hub, type LiveStream, type Reader } from '../hub/index.js';
import { RtmpServer } from '../rtmp/index.js';
import { MemoryStore, type SegmentStore } from '../store/index.js';
import { resolveMediaServerOptions, type MediaServerOptions, type ResolvedMediaServerOptions } from './media-server-options.js';
import { prefixedStore } from './prefixed-store.js';
import { feedRtmpPlayer } from './rtmp-player-feed.js';
import { RtmpIngest } from './rtmp-ingest.js';
import { guarded, lifecycleError } from './stream-guard.js';

export interface MediaServerEvents {
  publish: [stream: { app: string; streamKey: string }];
  unpublish: [stream: { app: string; streamKey: string }];
  /** A segment was published to the store (every rendition). */
  segment: [stream: { app: string; streamKey: string }, segment: LiveSegmentEvent];
  /** LL-HLS: a part was published to the store (every rendition); blocking requests for it are released right after. */
  part: [stream: { app: string; streamKey: string }, part: LivePartEvent];
  /**
   * A stream's health: its packaging, end or clean-up failed (a store write, media the packager
   * refused), or its publish was ended by a limit (ERR_MEDIA_KEYFRAME_OVERDUE). That stream only;
   * the server goes on.
   */
  streamError: [stream: { app: string; streamKey: string }, error: unknown];
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

/** One live stream's packaging: the packager and the timer that ends its playlists. */
interface Packaging {
  packager: HlsLivePackager;
  generation: number | undefined;
  endTimer: NodeJS.Timeout | undefined;
  /** The hub reader feeding the packager; a takeover keeps it (the stream never ended). */
  reader: Reader | undefined;
  /** The playlists carry EXT-X-ENDLIST (the grace period ran out). */
  ended: boolean;
}

/**
 * The composition root (design.md): RTMP ingest → FLV → media → hub → live HLS packager → store
 * → HTTP. `npm start` runs one with the defaults; embedders create their own.
 */
export class MediaServer extends EventEmitter<MediaServerEvents> {
  readonly rtmp: RtmpServer;
  readonly hub: Hub;
  readonly http: FastifyInstance;
  readonly store: SegmentStore;
  readonly settings: ResolvedMediaServerOptions;
  /** LL-HLS blocking playlist reloads and preload-hinted part requests, parked until they can be answered. */
  readonly liveDelivery: LiveDelivery;
  readonly counters: MediaServerCounters = { keyframeOverdue: 0, streamErrors: 0, refusedStreams: 0 };
  /** HTTP connections open and refused by http.maxConnections / http.maxConnectionsPerAddress. */
  readonly httpConnections: Readonly<ConnectionLimitCounters>;
  private readonly options: MediaServerOptions;
  private readonly now: () => number;
  private readonly packaging = new Map<LiveStream, Packaging>();
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
    registerDelivery(this.http, {
      store: this.store,
      streams: () => summarizeStreams(this.hub, this.now()),
      live: (app, key) => {
        const stream = this.hub.stream(app, key);
        return stream === undefined ? undefined : this.packaging.get(stream)?.packager;
      },
      liveDelivery: this.liveDelivery,
    });
    this.hub.on('streamStart', ({ stream }) => this.onStreamStart(stream));
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
    this.rtmp.on('play', (request) => {
      if (this.hub.stream(request.app, request.streamKey)?.state !== 'live') request.reject(`${request.app}/${request.streamKey} is not live`);
    });
    this.rtmp.on('playing', (player, request) => {
      const stream = this.hub.stream(request.app, request.streamKey);
      if (stream !== undefined) feedRtmpPlayer(stream.subscribe({ startWith: 'gop' }), player, { absoluteTimestamps: this.settings.rtmpPlayAbsoluteTimestamps, rates: () => stream.rates(this.now()) });
    });
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
    for (const [stream, p] of this.packaging) {
      clearTimeout(p.endTimer);
      // One stream's failing end is reported; the others still end and the server still closes.
      if (!p.ended && p.generation !== undefined) await this.guard(stream, 'end', () => p.packager.end(this.now()));
    }
    // Parked blocking requests hold their connections open: answer them before closing HTTP.
    this.liveDelivery.close();
    await this.http.close();
  }

  /** Reports a stream's failure as 'streamError' (its health event) and counts it. */
  private streamError(stream: { app: string; streamKey: string }, error: unknown): void {
    this.counters.streamErrors += 1;
    this.emit('streamError', { app: stream.app, streamKey: stream.streamKey }, error);
  }

  /**
   * Runs one step of a stream's lifecycle (packaging, end, clean-up) so that whatever it throws or
   * rejects with is that stream's streamError (ERR_MEDIA_STREAM_LIFECYCLE, the failure as cause),
   * never an uncaught exception or an unhandled rejection: timers and promise chains of one stream
   * cannot end the process.
   */
  private guard(stream: LiveStream, step: string, run: () => unknown): Promise<void> | undefined {
    return guarded(run, (error) => this.streamError(stream, lifecycleError(stream, step, error)));
  }

  /** A stream went live (first publish or a comeback): its packager reads it from the hub. */
  private onStreamStart(stream: LiveStream): void {
    let p = this.packaging.get(stream);
    if (p === undefined) {
      const name = { app: stream.app, streamKey: stream.streamKey };
      const packager = new HlsLivePackager(prefixedStore(this.store, `${stream.app}/${stream.streamKey}`), {
        ...this.options.hls,
        onSegment: (segment) => this.emit('segment', name, segment),
        onPart: (part) => this.emit('part', name, part),
        onWriteError: (error) => this.streamError(name, error),
      });
      packager.subscribe((rendition) => this.liveDelivery.changed(`${stream.app}/${stream.streamKey}`, rendition, packager));
      p = { packager, generation: undefined, endTimer: undefined, reader: undefined, ended: false };
      this.packaging.set(stream, p);
    }
    const packaging = p;
    clearTimeout(packaging.endTimer);
    packaging.endTimer = undefined;
    packaging.ended = false;
    if (packaging.reader !== undefined && !packaging.reader.closed) return;
    // The packager must see every sample: a generous bound, far above a GOP at any sane bit rate.
    const reader = stream.subscribe({ startWith: 'live', maxQueuedBytes: 64 * 1024 * 1024 });
    packaging.reader = reader;
    // One stream's bad media must not stop the others, nor the publisher's session.
    const drain = (): void => void this.guard(stream, 'package', () => this.package(stream, packaging, reader));
    reader.onReadable(drain);
    drain();
  }

  /** Hands what the hub queued for one stream to its packager. */
  private package(stream: LiveStream, packaging: Packaging, reader: Reader): void {
    for (const item of reader.drain()) {
      const nowMs = this.now();
      if (item.type === 'tracks') {
        // A new generation after the first: a comeback or a codec change, so a DISCONTINUITY.
        if (packaging.generation !== undefined) void this.guard(stream, 'resume', () => packaging.packager.resume(nowMs));
        packaging.generation = item.generation;
        void this.guard(stream, 'setTracks', () => packaging.packager.setTracks(item.tracks, nowMs));
      } else if (item.type === 'sample') {
        const written = packaging.packager.pushSample(item.sample, nowMs);
        if (written !== undefined) void this.guard(stream, 'pushSample', () => written);
      } else {
        reader.close();
        void this.guard(stream, 'pause', () => packaging.packager.pause(nowMs));
        this.scheduleEnd(stream, packaging);
      }
    }
  }

  /**
   * ENDLIST after the grace period, unless the stream comes back first (onStreamStart clears the
   * timer); after the retention period its files are deleted and the stream forgotten.
   */
  private scheduleEnd(stream: LiveStream, packaging: Packaging): void {
    packaging.endTimer = setTimeout(() => {
      packaging.ended = true;
      void this.guard(stream, 'end', () => packaging.packager.end(this.now()));
      packaging.endTimer = setTimeout(() => void this.guard(stream, 'forget', () => this.forget(stream, packaging)), this.settings.endedRetentionMs);
      packaging.endTimer.unref();
    }, this.settings.endGraceMs);
    packaging.endTimer.unref();
  }

  private async forget(stream: LiveStream, packaging: Packaging): Promise<void> {
    packaging.endTimer = undefined;
    if (stream.state === 'live') return;
    this.packaging.delete(stream);
    // Only streams that ended at least a grace plus a retention ago: this one, not one in its grace.
    this.hub.removeIdle(this.now(), this.settings.endGraceMs + this.settings.endedRetentionMs);
    const prefix = `${stream.app}/${stream.streamKey}/`;
    for (const path of await this.store.list(prefix)) await this.store.delete(path);
  }

}

/** `createMediaServer(options)`: the `tidecast` package's entry point. */
export function createMediaServer(options: MediaServerOptions = {}): MediaServer {
  return new MediaServer(options);
}

/**
 * Fastify over HTTP/1.1, or with `http.tls` HTTPS with HTTP/2 (and HTTP/1.1 for clients that do not
 * negotiate h2 by ALPN): LL-HLS clients issue a blocking playlist request and part requests at
 * once, which HTTP/2 multiplexes on one connection.
 */
function createHttpServer(options: MediaServerOptions): FastifyInstance {
  const tls = options.http?.tls;
  // Route parameters (app and key) as long as the name rule allows (Fastify's default is 100).
  const maxParamLength = 2 * MAX_STREAM_NAME_LENGTH;
  if (tls === undefined) return Fastify({ routerOptions: { maxParamLength } });
  // HTTP/2 sessions are not idle-closed by server.close() on Node 20: without forcing, one open
  // browser tab would hold a shutdown for Fastify's 72 s session timeout.
  return Fastify({ routerOptions: { maxParamLength }, http2: true, https: { allowHTTP1: true, cert: tls.cert, key: tls.key }, forceCloseConnections: true }) as unknown as FastifyInstance;
}

