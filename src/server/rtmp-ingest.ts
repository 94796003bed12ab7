import type { Hub, Publisher } from '../hub/index.js';
import { MediaError, type TidecastError } from '../errors/index.js';
import type { Track } from '../media/index.js';
import { StreamHealthAnalyzer, type EncoderMetadata, type HealthReport } from '../observability/index.js';
import type { PublishRequest, RtmpServer, ServerSession } from '../rtmp/index.js';
import type { AuthDecision, AuthRequest } from './authorization.js';
import { FlvToMedia, type FlvToMediaCounters } from './flv-to-media.js';
import { KeyframeWatch, type KeyframeWatchLimits } from './keyframe-watch.js';

export interface StreamName {
  app: string;
  streamKey: string;
}

/** What the ingest tells the composition root. */
export interface RtmpIngestEvents {
  publish(stream: StreamName): void;
  unpublish(stream: StreamName): void;
  /** A publish was ended by a media limit (ERR_MEDIA_KEYFRAME_OVERDUE). */
  limit(stream: StreamName, error: MediaError): void;
  /** Why a publish of this name is refused (a stopped job's key); undefined lets it in. */
  refuse?(stream: StreamName): string | undefined;
}

/** Publish authorization (control-plane.ts): the decision, and where a denial is reported. */
export interface IngestAccess {
  authorize(request: AuthRequest): Promise<AuthDecision>;
  denied(denial: { action: AuthRequest['action']; app: string; key: string; ip: string; reason: string }): void;
}

/**
 * A step between an allowed publish and its admission: a cluster's origin claims the stream in the
 * registry (cluster-wiring.ts), so that its packager continues the previous owner's playlists. It
 * never rejects (an unreachable registry is a claim held locally); the publish waits for it.
 */
export type IngestClaim = (app: string, streamKey: string) => Promise<void>;

/** One publishing RTMP stream: its hub handle, its FLV → media adapter and its keyframe watch. */
interface Ingest {
  session: ServerSession;
  messageStreamId: number;
  /** Undefined for a test publish (`?test=1`): analyzed, not published. */
  publisher: Publisher | undefined;
  media: FlvToMedia;
  keyframes: KeyframeWatch;
  /** Tracks changed since the last sample: announce them before the next one. */
  tracksPending: boolean;
  /** The publish's stream-health analyzer (docs/health.md), fed the frames as the encoder timed them. */
  health: StreamHealthAnalyzer;
}

/** A session's publishing streams, by message stream id: the sink a media message goes to. */
type Sinks = Array<Ingest | undefined>;

/**
 * The RTMP ingest adapter: an accepted publish binds a sink on its session (the hub Publisher, the
 * FLV → media adapter, the keyframe watch), so each audio and video message goes straight to it by
 * its message stream id, with no name or map lookup per frame; the session's end ends it. A
 * publisher that stops sending video keyframes is told and closed (KeyframeWatch), so its open
 * segment cannot grow without bound; one that a newer publish of the same key took over (the
 * hub's publisherReplaced) is told and closed too, rather than left streaming into nowhere.
 */
export class RtmpIngest {
  readonly #hub: Hub;
  readonly #now: () => number;
  readonly #limits: KeyframeWatchLimits;
  readonly #events: RtmpIngestEvents;
  readonly #sinks = new WeakMap<ServerSession, Sinks>();
  readonly #byPublisher = new Map<Publisher, Ingest>();
  /** Tags each stream key's publishes could not use, all publishes together (`<app>/<key>`). */
  readonly #tags = new Map<string, FlvToMediaCounters>();
  /** The newest publish's health analyzer per stream key (`<app>/<key>`), kept after it ends until the stream is forgotten. */
  readonly #health = new Map<string, StreamHealthAnalyzer>();
  /** Test publishes' analyzers (`?test=1`), newest last, at most MAX_TEST_REPORTS: nothing forgets them otherwise. */
  readonly #testHealth = new Map<string, StreamHealthAnalyzer>();
  readonly #segmentTargetSeconds: number;
  readonly #access: IngestAccess | undefined;
  readonly #claim: IngestClaim | undefined;

  constructor(rtmp: RtmpServer, hub: Hub, options: { now: () => number; limits: KeyframeWatchLimits; events: RtmpIngestEvents; segmentTargetSeconds: number; access?: IngestAccess; claim?: IngestClaim }) {
    this.#hub = hub;
    this.#segmentTargetSeconds = options.segmentTargetSeconds;
    this.#access = options.access;
    this.#claim = options.claim;
    this.#now = options.now;
    this.#limits = options.limits;
    this.#events = options.events;
    rtmp.on('publish', (request) => this.#onPublish(request));
    rtmp.on('session', (session) => this.#wire(session));
    rtmp.on('unpublish', (session, stream) => this.#onUnpublish(session, stream.messageStreamId));
    hub.on('publisherReplaced', ({ previous, next }) => this.#replaced(previous, next));
  }

  #onPublish(request: PublishRequest): void {
    const sinks = this.#sinks.get(request.session);
    if (sinks === undefined) return request.reject('session is not wired for publishing');
    const access = this.#access;
    const claim = this.#claim;
    if (access === undefined && claim === undefined) return this.#admit(request, sinks, request.streamKey, undefined);
    // The session holds the stream's messages until the decision: the publish starts only if allowed.
    const allowed: Promise<AuthDecision> = access === undefined ? Promise.resolve({ allow: true, by: 'open' }) : access.authorize({ action: 'publish', app: request.app, key: request.streamKey, protocol: 'rtmp', ip: request.session.remoteAddress, query: request.query });
    const decided = allowed.then(async (decision) => {
      if (!decision.allow) {
        access?.denied({ action: 'publish', app: request.app, key: request.streamKey, ip: request.session.remoteAddress, reason: decision.reason });
        request.reject(`not authorized: ${decision.reason}`);
        return;
      }
      // A callback may publish a secret key under a public name.
      const streamKey = decision.name ?? request.streamKey;
      // A cluster's origin takes the stream over before its first byte is packaged (cluster-wiring.ts).
      if (claim !== undefined && new URLSearchParams(request.query).get('test') !== '1') await claim(request.app, streamKey);
      this.#admit(request, sinks, streamKey, decision.lifetimeMs);
    });
    request.waitFor(decided);
  }

  #admit(request: PublishRequest, sinks: Sinks, streamKey: string, lifetimeMs: number | undefined): void {
    const refused = this.#events.refuse?.({ app: request.app, streamKey });
    if (refused !== undefined) return request.reject(refused);
    if (new URLSearchParams(request.query).get('test') === '1') return this.#admitTest(request, sinks, streamKey);
    const publisherId = `rtmp-${request.session.id}-${request.messageStreamId}`;
    const result = this.#hub.publish({ app: request.app, streamKey, publisherId, nowMs: this.#now() });
    if (!result.ok) {
      request.reject(`${request.app}/${streamKey} is already being published`);
      return;
    }
    const ingest: Ingest = {
      session: request.session,
      messageStreamId: request.messageStreamId,
      publisher: result.publisher,
      media: new FlvToMedia(this.tagCounters(request.app, request.streamKey)),
      keyframes: new KeyframeWatch(this.#limits),
      tracksPending: false,
      health: new StreamHealthAnalyzer({ segmentTargetSeconds: this.#segmentTargetSeconds }),
    };
    this.#health.set(`${request.app}/${streamKey}`, ingest.health);
    sinks[request.messageStreamId] = ingest;
    this.#byPublisher.set(result.publisher, ingest);
    this.#events.publish({ app: request.app, streamKey });
    if (lifetimeMs !== undefined) {
      // The authorization's lifetime (a callback's, a token's expiry): the publish ends then.
      const timer = setTimeout(() => {
        if (!result.publisher.active) return;
        ingest.session.abortPublish(ingest.messageStreamId, new MediaError('ERR_MEDIA_AUTH_EXPIRED', `the authorization of ${request.app}/${streamKey} expired`, { app: request.app, streamKey }));
      }, lifetimeMs);
      timer.unref();
      ingest.session.once('close', () => clearTimeout(timer));
    }
  }

  /**
   * A test publish (`rtmp://host/app/key?test=1`): the encoder's stream is demuxed and analyzed like
   * a publish (its health report at the same key), but nothing is published: no playlists, no
   * viewers, no webhook; a live publish of the key goes on untouched.
   */
  #admitTest(request: PublishRequest, sinks: Sinks, streamKey: string): void {
    const name = `${request.app}/${streamKey}`;
    const ingest: Ingest = {
      session: request.session,
      messageStreamId: request.messageStreamId,
      publisher: undefined,
      media: new FlvToMedia({ beforeConfig: 0, unsupported: 0, control: 0 }),
      keyframes: new KeyframeWatch(this.#limits),
      tracksPending: false,
      health: new StreamHealthAnalyzer({ segmentTargetSeconds: this.#segmentTargetSeconds }),
    };
    this.#testHealth.delete(name);
    this.#testHealth.set(name, ingest.health);
    if (this.#testHealth.size > MAX_TEST_REPORTS) this.#testHealth.delete(this.#testHealth.keys().next().value!);
    sinks[request.messageStreamId] = ingest;
  }

  /** Ends the RTMP publish of `app/streamKey`, if one is live: the publisher hears `error` (NetStream.Failed) and its session closes. */
  kick(app: string, streamKey: string, error: TidecastError): boolean {
    for (const ingest of this.#byPublisher.values()) {
      const publisher = ingest.publisher!; // #byPublisher holds published ingests only
      if (publisher.stream.app !== app || publisher.stream.streamKey !== streamKey || !publisher.active) continue;
      ingest.session.abortPublish(ingest.messageStreamId, error);
      return true;
    }
    return false;
  }

  /** The tags of a stream key's publishes that were dropped: before their sequence header, of a codec not carried. */
  tagCounters(app: string, streamKey: string): FlvToMediaCounters {
    const name = `${app}/${streamKey}`;
    let counters = this.#tags.get(name);
    if (counters === undefined) this.#tags.set(name, (counters = { beforeConfig: 0, unsupported: 0, control: 0 }));
    return counters;
  }

  /**
   * The health report of the newest publish of `app/streamKey` (docs/health.md), undefined if it was
   * never published; a test publish's (`?test=1`) when the key has no live publish.
   */
  health(app: string, streamKey: string): HealthReport | undefined {
    const name = `${app}/${streamKey}`;
    const live = this.#health.get(name);
    const test = this.#testHealth.get(name);
    const analyzer = test !== undefined && (live === undefined || !this.#hub.streams().some((s) => s.app === app && s.streamKey === streamKey && s.state === 'live')) ? test : live;
    return analyzer?.report(this.#now());
  }

  /** Forgets a stream key's counters and health (its stream was forgotten). */
  forget(app: string, streamKey: string): void {
    this.#tags.delete(`${app}/${streamKey}`);
    this.#health.delete(`${app}/${streamKey}`);
  }

  #wire(session: ServerSession): void {
    const sinks: Sinks = [];
    this.#sinks.set(session, sinks);
    const onMedia = (m: { typeId: number; timestamp: number; payload: Uint8Array; messageStreamId: number }): void => {
      const ingest = sinks[m.messageStreamId];
      if (ingest === undefined || ingest.publisher?.active === false) return;
      const beforeConfig = ingest.media.counters.beforeConfig;
      const events = ingest.media.push(m.typeId, m.timestamp, m.payload);
      const now = this.#now();
      if (ingest.media.counters.beforeConfig > beforeConfig) ingest.health.beforeConfig(m.typeId === 9 ? 'video' : 'audio', now);
      for (const e of events) {
        if (e.type === 'track') {
          ingest.tracksPending = true;
          ingest.health.track(e.track);
        } else if (e.type === 'sample') {
          const track = e.sample.trackId === ingest.media.videoTrack?.id ? ingest.media.videoTrack : ingest.media.audioTrack;
          const compositionTimeMs = track === undefined ? 0 : Math.round(((e.sample.pts - e.sample.dts) * 1000) / track.timescale);
          ingest.health.frame({ kind: track?.kind ?? 'audio', timestampMs: m.timestamp, compositionTimeMs, keyframe: e.sample.keyframe, bytes: e.sample.data.length, arrivalMs: now });
          const overdue = ingest.keyframes.observe(e.sample, ingest.media.videoTrack);
          if (overdue !== undefined) return this.#abort(ingest, overdue);
          const publisher = ingest.publisher;
          if (publisher === undefined) continue; // a test publish: analyzed only
          if (ingest.tracksPending) {
            publisher.setTracks(currentTracks(ingest.media));
            ingest.tracksPending = false;
          }
          publisher.pushSample(e.sample, now);
        } else if (e.name === 'onMetaData') ingest.health.metadata(encoderMetadata(e.value));
      }
    };
    session.on('audio', onMedia);
    session.on('video', onMedia);
    session.on('data', (m) => {
      const ingest = sinks[m.messageStreamId];
      if (ingest === undefined || ingest.publisher?.active === false) return;
      try {
        for (const e of ingest.media.push(m.typeId, m.timestamp, m.payload)) if (e.type === 'metadata' && e.name === 'onMetaData') ingest.health.metadata(encoderMetadata(e.value));
      } catch {
        // A data message that is not AMF0 script data (or not onMetaData) says nothing about health.
      }
    });
  }

  /** Ends a publish that broke a media limit: reported, then the publisher is told and closed. */
  #abort(ingest: Ingest, error: MediaError): void {
    const stream = ingest.publisher?.stream;
    if (stream !== undefined) this.#events.limit({ app: stream.app, streamKey: stream.streamKey }, error);
    // Closing the session emits 'unpublish', which ends the hub publisher (#onUnpublish).
    ingest.session.abortPublish(ingest.messageStreamId, error);
  }

  /** A newer publish took the stream over: the replaced publisher hears why (NetStream.Failed) and its session closes. */
  #replaced(previous: Publisher, next: Publisher): void {
    const ingest = this.#byPublisher.get(previous);
    if (ingest === undefined) return;
    const { app, streamKey } = previous.stream;
    const error = new MediaError('ERR_MEDIA_PUBLISHER_REPLACED', `${app}/${streamKey} was taken over by a newer publish (${next.id})`, { app, streamKey, publisherId: previous.id, replacedBy: next.id });
    ingest.session.abortPublish(ingest.messageStreamId, error);
  }

  #onUnpublish(session: ServerSession, messageStreamId: number): void {
    const sinks = this.#sinks.get(session);
    const ingest = sinks?.[messageStreamId];
    if (sinks === undefined || ingest === undefined) return;
    sinks[messageStreamId] = undefined;
    const publisher = ingest.publisher;
    if (publisher === undefined) return; // a test publish: nothing was published
    this.#byPublisher.delete(publisher);
    const { stream } = publisher;
    // A replaced publisher's leaving ends nothing: the stream goes on with the newer one.
    if (!publisher.active) return;
    publisher.end(this.#now());
    this.#events.unpublish({ app: stream.app, streamKey: stream.streamKey });
  }
}

/** Test publishes whose reports are kept (by stream key): a client cannot grow the map by trying keys. */
const MAX_TEST_REPORTS = 256;

/** The encoder's advertised frame rate and data rates (kbit/s) from its onMetaData, where they are numbers. */
function encoderMetadata(value: unknown): EncoderMetadata {
  if (typeof value !== 'object' || value === null) return {};
  const v = value as Record<string, unknown>;
  const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) && x > 0 ? x : undefined);
  const framerate = num(v['framerate']);
  const videodatarate = num(v['videodatarate']);
  const audiodatarate = num(v['audiodatarate']);
  return { ...(framerate === undefined ? {} : { framerate }), ...(videodatarate === undefined ? {} : { videodatarate }), ...(audiodatarate === undefined ? {} : { audiodatarate }) };
}

function currentTracks(media: FlvToMedia): Track[] {
  return [media.videoTrack, media.audioTrack].filter((t): t is NonNullable<typeof t> => t !== undefined);
}
