import type { Hub, Publisher } from '../hub/index.js';
import type { MediaError } from '../errors/index.js';
import type { Track } from '../media/index.js';
import type { PublishRequest, RtmpServer, ServerSession } from '../rtmp/index.js';
import { FlvToMedia } from './flv-to-media.js';
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
}

/** One publishing RTMP stream: its hub handle, its FLV → media adapter and its keyframe watch. */
interface Ingest {
  session: ServerSession;
  messageStreamId: number;
  publisher: Publisher;
  media: FlvToMedia;
  keyframes: KeyframeWatch;
  /** Tracks changed since the last sample: announce them before the next one. */
  tracksPending: boolean;
}

/**
 * The RTMP ingest adapter: an accepted publish becomes a hub Publisher, the session's audio and
 * video messages become its tracks and samples (FlvToMedia), and the session's end ends it. A
 * publisher that stops sending video keyframes is told and closed (KeyframeWatch), so its open
 * segment cannot grow without bound.
 */
export class RtmpIngest {
  readonly #hub: Hub;
  readonly #now: () => number;
  readonly #limits: KeyframeWatchLimits;
  readonly #events: RtmpIngestEvents;
  readonly #ingests = new Map<string, Ingest>();

  constructor(rtmp: RtmpServer, hub: Hub, options: { now: () => number; limits: KeyframeWatchLimits; events: RtmpIngestEvents }) {
    this.#hub = hub;
    this.#now = options.now;
    this.#limits = options.limits;
    this.#events = options.events;
    rtmp.on('publish', (request) => this.#onPublish(request));
    rtmp.on('session', (session) => this.#wire(session));
    rtmp.on('unpublish', (session, stream) => this.#onUnpublish(session, stream.messageStreamId));
  }

  #onPublish(request: PublishRequest): void {
    const id = ingestId(request.session, request.messageStreamId);
    const result = this.#hub.publish({ app: request.app, streamKey: request.streamKey, publisherId: id, nowMs: this.#now() });
    if (!result.ok) {
      request.reject(`${request.app}/${request.streamKey} is already being published`);
      return;
    }
    this.#ingests.set(id, {
      session: request.session,
      messageStreamId: request.messageStreamId,
      publisher: result.publisher,
      media: new FlvToMedia(),
      keyframes: new KeyframeWatch(this.#limits),
      tracksPending: false,
    });
    this.#events.publish({ app: request.app, streamKey: request.streamKey });
  }

  #wire(session: ServerSession): void {
    const onMedia = (m: { typeId: number; timestamp: number; payload: Uint8Array; messageStreamId: number }): void => {
      const ingest = this.#ingests.get(ingestId(session, m.messageStreamId));
      if (ingest === undefined || !ingest.publisher.active) return;
      for (const e of ingest.media.push(m.typeId, m.timestamp, m.payload)) {
        if (e.type === 'track') ingest.tracksPending = true;
        else if (e.type === 'sample') {
          const overdue = ingest.keyframes.observe(e.sample, ingest.media.videoTrack);
          if (overdue !== undefined) return this.#abort(ingest, overdue);
          if (ingest.tracksPending) {
            ingest.publisher.setTracks(currentTracks(ingest.media));
            ingest.tracksPending = false;
          }
          ingest.publisher.pushSample(e.sample, this.#now());
        }
      }
    };
    session.on('audio', onMedia);
    session.on('video', onMedia);
  }

  /** Ends a publish that broke a media limit: reported, then the publisher is told and closed. */
  #abort(ingest: Ingest, error: MediaError): void {
    const { stream } = ingest.publisher;
    this.#events.limit({ app: stream.app, streamKey: stream.streamKey }, error);
    // Closing the session emits 'unpublish', which ends the hub publisher (#onUnpublish).
    ingest.session.abortPublish(ingest.messageStreamId, error);
  }

  #onUnpublish(session: ServerSession, messageStreamId: number): void {
    const id = ingestId(session, messageStreamId);
    const ingest = this.#ingests.get(id);
    if (ingest === undefined) return;
    this.#ingests.delete(id);
    const { stream } = ingest.publisher;
    ingest.publisher.end(this.#now());
    this.#events.unpublish({ app: stream.app, streamKey: stream.streamKey });
  }
}

function ingestId(session: ServerSession, messageStreamId: number): string {
  return `rtmp-${session.id}-${messageStreamId}`;
}

function currentTracks(media: FlvToMedia): Track[] {
  return [media.videoTrack, media.audioTrack].filter((t): t is NonNullable<typeof t> => t !== undefined);
}
