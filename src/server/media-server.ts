import { EventEmitter } from 'eventemitter3';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { DashDelivery, LiveDelivery, limitConnections, registerDelivery, summarizeStreams, type ConnectionLimitCounters, type StreamCounters, type StreamSummary } from '../http/index.js';
import { resolveLiveOptions } from '../hls/index.js';
import { Hub, type LiveStream } from '../hub/index.js';
import { RtmpServer } from '../rtmp/index.js';
import type { SegmentStore } from '../store/index.js';
import { ColdStoreOps } from './cold-store-ops.js';
import { HlsEgress, type StreamName } from './hls-egress.js';
import type { LadderTier } from './ladder-tier.js';
import { Transcoding } from './transcoding.js';
import type { MediaServerCounters, MediaServerEvents } from './media-server-events.js';
import { createHttpServer, type HttpFront } from './http-server.js';
import { resolveMediaServerOptions, type MediaServerOptions, type ResolvedMediaServerOptions } from './media-server-options.js';
import { RtmpIngest } from './rtmp-ingest.js';
import { RtmpPlayback } from './rtmp-playback.js';
import { ControlPlane } from './control-plane.js';
import { createServerStore, type ServerStore } from './store-taps.js';
import { wireControlApi } from './control-api-wiring.js';
import { guardPlayback } from './play-guard.js';
import { tsPlaylists } from './ts-output.js';
import { gatherStreamCounters } from './stream-counters.js';
import { wireObjectStorage } from './object-storage-wiring.js';
import { wireRecording } from './recording-wiring.js';
import { wireCluster, type ClusterMembership } from './cluster-wiring.js';

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
  readonly dash: DashDelivery; // each live stream's MPDs, chunked answers for segments being written (http/dash-delivery.ts)
  readonly counters: MediaServerCounters = { keyframeOverdue: 0, streamErrors: 0, refusedStreams: 0 };
  /** HTTP connections open and refused by http.maxConnections / http.maxConnectionsPerAddress. */
  readonly httpConnections: Readonly<ConnectionLimitCounters>;
  /** Each stream's HLS output, from its first publish until its files are deleted. */
  readonly egress = new Map<LiveStream, HlsEgress>();
  /** The store and its taps (store-taps.ts); the default MemoryStore's spill folder is removed by close(). */
  readonly storage: ServerStore;
  private readonly options: MediaServerOptions;
  private readonly now: () => number;
  private readonly ingest: RtmpIngest; // RTMP publishes → hub publishers (the keyframe watch, stream health)
  private readonly playback: RtmpPlayback;
  private readonly coldOps = new ColdStoreOps(); // every stream's deletes and retires, after the turn that listed its segments
  readonly transcoding: Transcoding; // ABR ladders and live jobs (transcoding.ts); `ladders` is its LadderTier
  readonly ladders: LadderTier;
  readonly control: ControlPlane; // metrics, webhooks and in-process events, the health watch (control-plane.ts)
  readonly cluster: ClusterMembership | undefined; // `cluster`: this origin in a stream registry, forwarding what others own (cluster-wiring.ts)

  constructor(options: MediaServerOptions = {}) {
    super();
    this.options = options;
    this.settings = resolveMediaServerOptions(options);
    this.now = options.now ?? Date.now;
    this.storage = createServerStore(options);
    this.store = this.storage.store;
    this.hub = new Hub(options.hub);
    this.rtmp = new RtmpServer(options.rtmp);
    const front: HttpFront = {};
    this.http = createHttpServer(options, front);
    this.httpConnections = limitConnections(this.http.server, options.http);
    this.liveDelivery = new LiveDelivery({ maxParked: options.http?.maxParked });
    this.dash = new DashDelivery({ liveDelivery: this.liveDelivery, store: this.store, hls: resolveLiveOptions(options.hls), now: this.now });
    const streams = (): StreamSummary[] => summarizeStreams(this.hub, this.now(), (s) => this.streamCounters(s), (s) => this.ladders.stats(s), this.dash);
    this.control = new ControlPlane(this, this.rtmp, { streams, health: (a, k) => this.ingest.health(a, k), rtmpPlayers: (a, k) => this.playback.players(a, k), parked: () => this.liveDelivery.parked, now: this.now }, options);
    this.control.metrics.watchStore(() => this.storage.counters());
    front.handler = registerDelivery(this.http, { store: this.store, liveDelivery: this.liveDelivery, dash: this.dash, metrics: this.control.metrics, ts: tsPlaylists(this.hub, this.egress, resolveLiveOptions(options.hls).segmentTargetSeconds) });
    if (this.control.play !== undefined) guardPlayback(this.http, front, this.control.play); // HLS/DASH play auth: session tokens in the path
    this.cluster = wireCluster(this, options.cluster, front, { kick: (a, k, error) => this.ingest.kick(a, k, error), unpark: (group) => this.liveDelivery.unpark(group), position: (a, k) => { const s = this.hub.stream(a, k); return s === undefined ? undefined : this.egress.get(s)?.packager.continuation; } });
    this.transcoding = new Transcoding(options, {
      hub: this.hub, rtmp: this.rtmp, now: this.now, kick: (app, key, error) => this.ingest.kick(app, key, error),
      warning: (name, message, details) => this.emit('transcodeWarning', name, message, details),
      endPlaylists: async (stream) => this.egress.get(stream)?.close(),
    });
    this.ladders = this.transcoding.ladders;
    this.hub.on('streamStart', ({ stream }) => this.egressOf(stream).start());
    this.ingest = new RtmpIngest(this.rtmp, this.hub, {
      now: this.now,
      segmentTargetSeconds: resolveLiveOptions(options.hls).segmentTargetSeconds,
      access: this.control.access,
      claim: this.cluster === undefined ? undefined : (app, key) => this.cluster!.claim(app, key),
      limits: this.settings,
      events: {
        publish: (stream) => { this.liveDelivery.expect(`${stream.app}/${stream.streamKey}`); this.emit('publish', stream); }, // playlists asked before they exist wait for them
        unpublish: (stream) => this.emit('unpublish', stream),
        limit: (stream, error) => {
          this.counters.keyframeOverdue += 1;
          this.streamError(stream, error);
        },
        refuse: (stream) => this.transcoding.refusal(stream.app, stream.streamKey),
      },
    });
    this.rtmp.on('refusedStream', () => void (this.counters.refusedStreams += 1));
    this.playback = new RtmpPlayback(this.rtmp, this.hub, { now: this.now, absoluteTimestamps: this.settings.rtmpPlayAbsoluteTimestamps });
    wireControlApi(this, options, { streams, health: (a, k) => this.ingest.health(a, k), kick: (a, k, error) => this.ingest.kick(a, k, error) }); // /api (control-api.ts) and the dashboard
    wireObjectStorage(this, options); // `objectStorage`: live HLS to an S3 bucket as a store tap, `this.objectStorage` (object-storage-wiring.ts)
    wireRecording(this, options); // `record`: the recorder as a store tap, `this.recording` (recording-wiring.ts, docs/recording.md)
  }

  /** A stream's counters (in `/api/streams`): what was dropped or bent on its way, since its key was first published. */
  streamCounters(stream: LiveStream): StreamCounters {
    return gatherStreamCounters(stream, {
      partsOffTarget: (s) => this.egress.get(s)?.packager.counters.partsOffTarget ?? 0,
      rtmpPlayerDroppedFrames: (app, key) => this.playback.droppedFrames(app, key),
      tags: (app, key) => this.ingest.tagCounters(app, key),
      parked: (app, key) => this.liveDelivery.streamCounters(`${app}/${key}`),
    });
  }

  /** Starts RTMP and HTTP; resolves with the bound ports. */
  async listen(): Promise<{ rtmp: AddressInfo; http: AddressInfo }> {
    await this.transcoding.open();
    this.control.watchJobs(this.transcoding.jobs?.service);
    const rtmp = await this.rtmp.listen();
    await this.http.listen({ port: this.settings.httpPort, host: this.settings.httpHost });
    return { rtmp, http: this.http.server.address() as AddressInfo };
  }

  /** Closes sessions, ends every playlist at once, stops listening. */
  async close(): Promise<void> {
    this.control.close();
    await this.rtmp.close();
    await this.transcoding.close();
    // One stream's failing end is reported; the others still end and the server still closes.
    for (const egress of this.egress.values()) await egress.close();
    await this.coldOps.flush();
    // Parked blocking requests hold their connections open: answer them before closing HTTP.
    this.liveDelivery.close();
    await this.http.close();
    await this.storage.dispose();
    await this.cluster?.close();
  }

  /** Reports a stream's failure as 'streamError' (its health event) and counts it. */
  private streamError(stream: StreamName, error: unknown): void {
    this.counters.streamErrors += 1;
    this.emit('streamError', { app: stream.app, streamKey: stream.streamKey }, error);
  }

  private egressOf(stream: LiveStream): HlsEgress {
    let egress = this.egress.get(stream);
    if (egress !== undefined) return egress;
    egress = new HlsEgress(stream, {
      store: this.store,
      hls: { ...this.options.hls, ...this.transcoding.packagerOptions(stream), ...this.cluster?.packagerOptions(stream.app, stream.streamKey) },
      now: this.now,
      endGraceMs: this.settings.endGraceMs,
      endedRetentionMs: this.settings.endedRetentionMs,
      coldOps: this.coldOps,
      ladders: this.ladders,
      events: {
        segment: (name, segment) => this.emit('segment', name, segment),
        part: (name, part) => this.emit('part', name, part),
        snapshot: (name, snapshot) => this.liveDelivery.publish(`${name.app}/${name.streamKey}`, snapshot),
        error: (name, error) => this.streamError(name, error),
        forgotten: (name) => {
          this.egress.delete(stream);
          void this.ladders.forget(stream);
          this.liveDelivery.forget(`${name.app}/${name.streamKey}`);
          this.ingest.forget(name.app, name.streamKey);
          this.playback.forget(name.app, name.streamKey);
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
