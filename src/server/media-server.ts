import { EventEmitter } from 'eventemitter3';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { HlsLivePackager, type LivePartEvent, type LiveSegmentEvent } from '../hls/index.js';
import { LiveDelivery, registerDelivery, summarizeStreams } from '../http/index.js';
import { Hub, type LiveStream, type Publisher, type Reader } from '../hub/index.js';
import type { Track } from '../media/index.js';
import { RtmpServer, type PublishRequest, type ServerSession } from '../rtmp/index.js';
import { MemoryStore, type SegmentStore } from '../store/index.js';
import { FlvToMedia } from './flv-to-media.js';
import { resolveMediaServerOptions, type MediaServerOptions, type ResolvedMediaServerOptions } from './media-server-options.js';
import { prefixedStore } from './prefixed-store.js';
import { feedRtmpPlayer } from './rtmp-player-feed.js';

export interface MediaServerEvents {
  publish: [stream: { app: string; streamKey: string }];
  unpublish: [stream: { app: string; streamKey: string }];
  /** A segment was published to the store (every rendition). */
  segment: [stream: { app: string; streamKey: string }, segment: LiveSegmentEvent];
  /** LL-HLS: a part was published to the store (every rendition); blocking requests for it are released right after. */
  part: [stream: { app: string; streamKey: string }, part: LivePartEvent];
  /** Packaging of one stream failed (a store write, or media the packager refused); the server goes on. */
  streamError: [stream: { app: string; streamKey: string }, error: unknown];
}

/** One publishing RTMP stream: its hub handle and its FLV → media adapter. */
interface Ingest {
  publisher: Publisher;
  media: FlvToMedia;
  /** Tracks changed since the last sample: announce them before the next one. */
  tracksPending: boolean;
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
  private readonly options: MediaServerOptions;
  private readonly now: () => number;
  private readonly ingests = new Map<string, Ingest>();
  private readonly packaging = new Map<LiveStream, Packaging>();

  constructor(options: MediaServerOptions = {}) {
    super();
    this.options = options;
    this.settings = resolveMediaServerOptions(options);
    this.now = options.now ?? Date.now;
    this.store = options.store ?? new MemoryStore();
    this.hub = new Hub(options.hub);
    this.rtmp = new RtmpServer(options.rtmp);
    this.http = createHttpServer(options);
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
    this.rtmp.on('publish', (request) => this.onPublish(request));
    this.rtmp.on('session', (session) => this.wireSession(session));
    this.rtmp.on('unpublish', (session, stream) => this.onUnpublish(session, stream.messageStreamId));
    this.rtmp.on('play', (request) => {
      if (this.hub.stream(request.app, request.streamKey)?.state !== 'live') request.reject(`${request.app}/${request.streamKey} is not live`);
    });
    this.rtmp.on('playing', (player, request) => {
      const stream = this.hub.stream(request.app, request.streamKey);
      if (stream !== undefined) feedRtmpPlayer(stream.subscribe({ startWith: 'gop' }), player);
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
    for (const p of this.packaging.values()) {
      clearTimeout(p.endTimer);
      if (!p.ended && p.generation !== undefined) await p.packager.end(this.now());
    }
    // Parked blocking requests hold their connections open: answer them before closing HTTP.
    this.liveDelivery.close();
    await this.http.close();
  }

  private onPublish(request: PublishRequest): void {
    const result = this.hub.publish({ app: request.app, streamKey: request.streamKey, publisherId: ingestId(request.session, request.messageStreamId), nowMs: this.now() });
    if (!result.ok) {
      request.reject(`${request.app}/${request.streamKey} is already being published`);
      return;
    }
    this.ingests.set(ingestId(request.session, request.messageStreamId), { publisher: result.publisher, media: new FlvToMedia(), tracksPending: false });
    this.emit('publish', { app: request.app, streamKey: request.streamKey });
  }

  private wireSession(session: ServerSession): void {
    const onMedia = (m: { typeId: number; timestamp: number; payload: Uint8Array; messageStreamId: number }): void => {
      const ingest = this.ingests.get(ingestId(session, m.messageStreamId));
      if (ingest === undefined || !ingest.publisher.active) return;
      for (const e of ingest.media.push(m.typeId, m.timestamp, m.payload)) {
        if (e.type === 'track') ingest.tracksPending = true;
        else if (e.type === 'sample') {
          if (ingest.tracksPending) {
            ingest.publisher.setTracks(currentTracks(ingest.media));
            ingest.tracksPending = false;
          }
          ingest.publisher.pushSample(e.sample, this.now());
        }
      }
    };
    session.on('audio', onMedia);
    session.on('video', onMedia);
  }

  private onUnpublish(session: ServerSession, messageStreamId: number): void {
    const id = ingestId(session, messageStreamId);
    const ingest = this.ingests.get(id);
    if (ingest === undefined) return;
    this.ingests.delete(id);
    const { stream } = ingest.publisher;
    ingest.publisher.end(this.now());
    this.emit('unpublish', { app: stream.app, streamKey: stream.streamKey });
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
        onWriteError: (error) => this.emit('streamError', name, error),
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
    const drain = (): void => {
      try {
        this.package(stream, packaging, reader);
      } catch (error) {
        // One stream's bad media must not stop the others, nor the publisher's session.
        this.emit('streamError', { app: stream.app, streamKey: stream.streamKey }, error);
      }
    };
    reader.onReadable(drain);
    drain();
  }

  /** Hands what the hub queued for one stream to its packager. */
  private package(stream: LiveStream, packaging: Packaging, reader: Reader): void {
    for (const item of reader.drain()) {
      const nowMs = this.now();
      if (item.type === 'tracks') {
        // A new generation after the first: a comeback or a codec change, so a DISCONTINUITY.
        if (packaging.generation !== undefined) void packaging.packager.resume(nowMs);
        packaging.generation = item.generation;
        void packaging.packager.setTracks(item.tracks, nowMs);
      } else if (item.type === 'sample') {
        void packaging.packager.pushSample(item.sample, nowMs);
      } else {
        reader.close();
        void packaging.packager.pause(nowMs);
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
      void packaging.packager.end(this.now());
      packaging.endTimer = setTimeout(() => void this.forget(stream, packaging), this.settings.endedRetentionMs);
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
  if (tls === undefined) return Fastify();
  // HTTP/2 sessions are not idle-closed by server.close() on Node 20: without forcing, one open
  // browser tab would hold a shutdown for Fastify's 72 s session timeout.
  return Fastify({ http2: true, https: { allowHTTP1: true, cert: tls.cert, key: tls.key }, forceCloseConnections: true }) as unknown as FastifyInstance;
}

function ingestId(session: ServerSession, messageStreamId: number): string {
  return `rtmp-${session.id}-${messageStreamId}`;
}

function currentTracks(media: FlvToMedia): Track[] {
  return [media.videoTrack, media.audioTrack].filter((t): t is NonNullable<typeof t> => t !== undefined);
}
