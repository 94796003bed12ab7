import { EventEmitter } from 'eventemitter3';
import { LiveStream } from './live-stream.js';
import { resolveHubOptions, type HubOptions, type ResolvedHubOptions, type TakeoverPolicy } from './limits.js';
import { Publisher } from './publisher.js';

export interface PublishRequest {
  app: string;
  streamKey: string;
  /** The connection's id, for logs and events. */
  publisherId: string;
  nowMs: number;
}

/** A refusal is a value, not an exception: the RTMP session answers NetStream.Publish.BadName with it. */
export type PublishResult =
  | { ok: true; publisher: Publisher; replaced: Publisher | undefined }
  | { ok: false; reason: 'already-publishing'; currentPublisherId: string; quietForMs: number };

export interface HubEvents {
  /** A stream went live: a first publish, or a publish on an idle key (then `generation` > 0). */
  streamStart: [event: { stream: LiveStream; publisherId: string; nowMs: number }];
  streamEnd: [event: { stream: LiveStream; publisherId: string; nowMs: number }];
  /** A newer publisher took a live stream over; close `previous`'s connection. */
  publisherReplaced: [event: { stream: LiveStream; previous: Publisher; next: Publisher; nowMs: number }];
}

interface Entry {
  stream: LiveStream;
  publisher: Publisher | undefined;
}

/**
 * Decides a second publish on a live key. Pure, so the policy table is tested on its own.
 * `lastActivityMs` is when the current publisher last sent a sample (or published).
 */
export function shouldTakeOver(policy: TakeoverPolicy, quietMs: number, lastActivityMs: number, nowMs: number): boolean {
  if (policy === 'takeover') return true;
  if (policy === 'reject') return false;
  return nowMs - lastActivityMs >= quietMs;
}

/**
 * The registry of live streams, keyed by app and stream key, one publisher each. Streams stay
 * registered when their publisher ends (readers wait for the next publish on the same object)
 * until `removeIdle` forgets them.
 */
export class Hub extends EventEmitter<HubEvents> {
  readonly options: ResolvedHubOptions;
  // Nested maps: no separator character can make ('a/b', 'c') and ('a', 'b/c') collide.
  private readonly apps = new Map<string, Map<string, Entry>>();

  constructor(options: HubOptions = {}) {
    super();
    this.options = resolveHubOptions(options);
  }

  publish(request: PublishRequest): PublishResult {
    const { app, streamKey, publisherId, nowMs } = request;
    let keys = this.apps.get(app);
    if (keys === undefined) this.apps.set(app, (keys = new Map()));
    let entry = keys.get(streamKey);
    const first = entry === undefined;
    if (entry === undefined) {
      entry = { stream: new LiveStream(app, streamKey, nowMs, this.options), publisher: undefined };
      keys.set(streamKey, entry);
    }
    const previous = entry.publisher?.active === true ? entry.publisher : undefined;
    if (previous !== undefined && !shouldTakeOver(this.options.takeoverPolicy, this.options.quietMs, previous.lastActivityMs, nowMs)) {
      return { ok: false, reason: 'already-publishing', currentPublisherId: previous.id, quietForMs: nowMs - previous.lastActivityMs };
    }
    const owner = entry;
    const publisher = new Publisher(publisherId, owner.stream, nowMs, {
      isCurrent: (p) => owner.publisher === p,
      ended: (p, endMs) => this.emit('streamEnd', { stream: owner.stream, publisherId: p.id, nowMs: endMs }),
    });
    owner.publisher = publisher;
    owner.stream.beginPublish(nowMs, first);
    if (previous !== undefined) this.emit('publisherReplaced', { stream: owner.stream, previous, next: publisher, nowMs });
    else this.emit('streamStart', { stream: owner.stream, publisherId, nowMs });
    return { ok: true, publisher, replaced: previous };
  }

  stream(app: string, streamKey: string): LiveStream | undefined {
    return this.apps.get(app)?.get(streamKey)?.stream;
  }

  /** Every registered stream, live and idle. */
  streams(): LiveStream[] {
    return [...this.apps.values()].flatMap((keys) => [...keys.values()].map((e) => e.stream));
  }

  /**
   * Forgets idle streams that have no reader and ended at least `minIdleMs` before `nowMs`; returns
   * how many. The hub keeps no timer: the composition root calls this on its own schedule.
   */
  removeIdle(nowMs: number, minIdleMs = 0): number {
    let removed = 0;
    for (const [app, keys] of this.apps) {
      for (const [key, { stream }] of keys) {
        const idleSince = stream.endedAtMs;
        if (stream.state !== 'idle' || stream.readers.length > 0 || idleSince === undefined || nowMs - idleSince < minIdleMs) continue;
        keys.delete(key);
        removed += 1;
      }
      if (keys.size === 0) this.apps.delete(app);
    }
    return removed;
  }
}
