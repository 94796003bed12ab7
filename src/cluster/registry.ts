import type { EventEmitter } from 'eventemitter3';

/**
 * The stream registry: which origin holds which stream, under a lease with an epoch as fencing
 * token (docs/cluster.md "The registry"). Two implementations share these semantics: the in-memory
 * one (one process, the default) and the Redis one (several origins).
 *
 * Rules every implementation keeps:
 * - A claim is a takeover, never first-wins: it raises the key's epoch and makes the claimant the
 *   owner, whoever held it before (the publisher is where it is now). The previous owner learns it
 *   at its next refresh ('lost') and must stop serving that stream.
 * - Epochs of a key only grow. Object URIs carry the epoch, so no cache mixes two owners' objects.
 * - A claim returns where the previous owner left the playlists (media sequence, discontinuity
 *   sequence), so the new owner continues them with one EXT-X-DISCONTINUITY.
 * - A refresh or release by an owner whose epoch is no longer the newest changes nothing.
 * - Lookups read a local map of routes kept current by notifications and resyncs: a request never
 *   waits on the shared store, and the map outlives an outage of it.
 */

/** Where a stream's playlists stand: what the next owner continues from. */
export interface StreamPosition {
  /** EXT-X-MEDIA-SEQUENCE the owner has reached (the next segment's number). */
  readonly msn: number;
  /** EXT-X-DISCONTINUITY-SEQUENCE the owner has reached. */
  readonly dseq: number;
}

/** A claim this origin holds. */
export interface StreamClaim {
  readonly key: string;
  /**
   * The fencing token: greater than every earlier claim's of this key. A claim made during an
   * outage takes the last known epoch + 1; its replay keeps it, or raises it only when Redis holds
   * a higher one of this origin's own (a claim whose answer the outage cut), then a 'change' of the
   * route says so.
   */
  readonly epoch: number;
  /** Where the previous owner left the playlists, or undefined when nothing is known of the key. */
  readonly continuation: StreamPosition | undefined;
  /**
   * True when the shared store accepted the claim; false when it was made during an outage and is
   * held locally until the store returns (then replayed, epoch-checked: 'lost' if a newer claim won).
   */
  readonly confirmed: boolean;
}

/** Who holds a stream, as this origin knows it. */
export interface StreamRoute {
  readonly key: string;
  /** The owner's origin id. */
  readonly owner: string;
  readonly epoch: number;
  /** The owner's HTTP base URL (what a non-owner forwards to), '' when the owner gave none. */
  readonly baseUrl: string;
  /** The owner's last reported position. */
  readonly position: StreamPosition;
}

/** An origin's heartbeat. */
export interface OriginInfo {
  readonly id: string;
  readonly baseUrl: string;
  /** What the origin reports as its load (publishes, viewers, CPU: the caller's measure). */
  readonly load: number;
  /** The heartbeat's time, milliseconds since the epoch, from the origin's clock. */
  readonly updatedAtMs: number;
}

/** What a refresh found: still ours, fenced by a newer claim, or not known (the store unreachable). */
export type RefreshResult = 'ok' | 'lost' | 'degraded';

export type RegistryHealth = 'ok' | 'degraded';

/** A route of the local map appeared, changed owner or epoch, or went (route undefined). */
export interface RouteChange {
  readonly key: string;
  readonly route: StreamRoute | undefined;
  readonly previous: StreamRoute | undefined;
}

/** A claim of this origin was fenced: a newer epoch took the key over. Stop serving the stream. */
export interface ClaimLost {
  readonly key: string;
  /** Our epoch, now stale. */
  readonly epoch: number;
  /** The newer epoch, when the store told it. */
  readonly newerEpoch: number | undefined;
  /** The new owner, when known. */
  readonly owner: string | undefined;
}

/** What a registry emits (eventemitter3). */
export interface StreamRegistryEvents {
  change: [change: RouteChange];
  lost: [lost: ClaimLost];
  /** The shared store became unreachable: claims are kept and served, new ones held locally. */
  degraded: [reason: Error];
  /** The shared store answers again: held claims and releases were replayed. */
  restored: [];
}

export interface StreamRegistry extends EventEmitter<StreamRegistryEvents> {
  /** This origin's id. */
  readonly originId: string;
  /**
   * Connects to the shared store, if any (the Redis registry: subscribe, first heartbeat and resync,
   * the refresh timer). Call it once before the first claim; an unreachable store leaves the
   * registry degraded, never failed. The in-memory registry needs none.
   */
  start?(): Promise<void>;
  /**
   * Takes `key` over for this origin: a new epoch, and where the previous owner left the
   * playlists. Never fails for an unreachable store (the claim is then held locally, unconfirmed).
   */
  claim(key: string): Promise<StreamClaim>;
  /**
   * Heartbeat of one claim with its current position (the registry also refreshes every claim on
   * its own timer with the last position given). 'lost' when fenced: the claim is dropped and
   * 'lost' emitted.
   */
  refresh(key: string, position: StreamPosition): Promise<RefreshResult>;
  /** Gives `key` up (compare-and-delete: only if still ours), keeping its position for a successor. */
  release(key: string, position?: StreamPosition): Promise<void>;
  /** The route of `key` from the local map (ours included), without a round trip. */
  lookup(key: string): StreamRoute | undefined;
  /** The whole local map, key → route. */
  routes(): ReadonlyMap<string, StreamRoute>;
  /** The claims this origin holds. */
  claims(): ReadonlyMap<string, StreamClaim>;
  /**
   * Whether this origin may act as `key`'s owner right now: it holds the claim, and its own refresh
   * rounds have kept running. After a pause longer than a lease (the process stopped, the event
   * loop blocked), another origin may have taken the key over meanwhile: until the next round has
   * asked the shared store, the claim is suspect and this is false (docs/cluster.md "Fencing").
   * A store that is only unreachable leaves it true: origins keep serving what they own.
   */
  holds(key: string): boolean;
  /** Resolves when the refresh round under way (or, when suspect, the next one) has finished. */
  settled(): Promise<void>;
  /** The origins whose heartbeat is current, id → info (this one included). */
  origins(): ReadonlyMap<string, OriginInfo>;
  /** The load this origin reports in its next heartbeats. */
  setLoad(load: number): void;
  health(): RegistryHealth;
  /** Releases every claim (best effort when the store is away), stops timers and connections. */
  close(): Promise<void>;
}

/** Options every registry takes. */
export interface RegistryIdentity {
  /** This origin's id, unique in the cluster: [A-Za-z0-9._:-], 1 to 128 characters. */
  readonly originId: string;
  /** This origin's HTTP base URL (`http://10.0.0.5:8000`), what other origins forward to. Default ''. */
  readonly baseUrl?: string;
  /** The clock for heartbeat times, milliseconds since the epoch. Default Date.now. */
  readonly now?: () => number;
}

const ORIGIN_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Whether `id` can name an origin (it appears in keys and messages, so no spaces or braces). */
export function isOriginId(id: unknown): id is string {
  return typeof id === 'string' && ORIGIN_ID.test(id);
}

/** Whether two routes say the same owner, epoch and base URL (positions move on every heartbeat). */
export function sameRoute(a: StreamRoute | undefined, b: StreamRoute | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.owner === b.owner && a.epoch === b.epoch && a.baseUrl === b.baseUrl;
}

export const START_POSITION: StreamPosition = { msn: 0, dseq: 0 };
