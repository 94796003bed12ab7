import { EventEmitter } from 'eventemitter3';
import { invalidOption } from '../config/index.js';
import {
  isOriginId,
  type ClaimLost,
  type OriginInfo,
  type RefreshResult,
  type RegistryHealth,
  type RegistryIdentity,
  type StreamClaim,
  type StreamPosition,
  type StreamRegistry,
  type StreamRegistryEvents,
  type StreamRoute,
} from './registry.js';

/**
 * The in-memory registry: today's single process, with the Redis registry's semantics (takeover
 * with a growing epoch, continuation, fencing, compare-and-delete release). Several registries of
 * one process may share a MemoryRegistryStore, each acting as one origin: what a claim does to
 * another origin's lease is then seen at once (its 'lost' is emitted during the claim). Leases do
 * not expire here: a process cannot outlive itself, and close() releases everything it held (a
 * registry is not used after its close()).
 */

/** Positions kept for keys nobody holds, so a later claim continues them; the oldest go first. */
export const MAX_RETAINED_POSITIONS = 10_000;

interface Lease {
  readonly owner: string;
  readonly epoch: number;
  readonly baseUrl: string;
}

/** The state several in-memory registries share (one process, several origins). */
export class MemoryRegistryStore {
  readonly epochs = new Map<string, number>();
  readonly leases = new Map<string, Lease>();
  readonly positions = new Map<string, StreamPosition>();
  readonly origins = new Map<string, OriginInfo>();
  readonly members = new Set<MemoryStreamRegistry>();

  route(key: string): StreamRoute | undefined {
    const lease = this.leases.get(key);
    if (lease === undefined) return undefined;
    return { key, ...lease, position: this.positions.get(key) ?? { msn: 0, dseq: 0 } };
  }

  keepPosition(key: string, position: StreamPosition): void {
    this.positions.delete(key);
    this.positions.set(key, { msn: position.msn, dseq: position.dseq });
    if (this.positions.size <= MAX_RETAINED_POSITIONS) return;
    for (const old of this.positions.keys()) {
      if (this.leases.has(old)) continue;
      this.positions.delete(old);
      if (this.positions.size <= MAX_RETAINED_POSITIONS) return;
    }
  }
}

export interface MemoryRegistryOptions extends RegistryIdentity {
  /** State shared with other in-memory registries of this process. Default: a store of its own. */
  readonly store?: MemoryRegistryStore;
}

export class MemoryStreamRegistry extends EventEmitter<StreamRegistryEvents> implements StreamRegistry {
  readonly originId: string;
  readonly #baseUrl: string;
  readonly #now: () => number;
  readonly #store: MemoryRegistryStore;
  readonly #claims = new Map<string, StreamClaim>();
  #closed = false;

  constructor(options: MemoryRegistryOptions) {
    super();
    if (!isOriginId(options.originId)) throw invalidOption('originId', '1 to 128 of [A-Za-z0-9._:-]', String(options.originId));
    this.originId = options.originId;
    this.#baseUrl = options.baseUrl ?? '';
    this.#now = options.now ?? Date.now;
    this.#store = options.store ?? new MemoryRegistryStore();
    if (this.#store.origins.has(this.originId)) throw invalidOption('originId', 'unique among the registries sharing a store', this.originId);
    this.#store.members.add(this);
    this.setLoad(0);
  }

  async claim(key: string): Promise<StreamClaim> {
    const store = this.#store;
    const previous = store.route(key);
    const epoch = (store.epochs.get(key) ?? 0) + 1;
    store.epochs.set(key, epoch);
    store.leases.set(key, { owner: this.originId, epoch, baseUrl: this.#baseUrl });
    const continuation = store.positions.get(key);
    const claim: StreamClaim = { key, epoch, continuation, confirmed: true };
    this.#claims.set(key, claim);
    if (previous !== undefined && previous.owner !== this.originId) {
      for (const member of store.members) if (member.originId === previous.owner) member.#fenced({ key, epoch: previous.epoch, newerEpoch: epoch, owner: this.originId });
    }
    this.#broadcast(key, previous);
    return claim;
  }

  async refresh(key: string, position: StreamPosition): Promise<RefreshResult> {
    const claim = this.#claims.get(key);
    const lease = this.#store.leases.get(key);
    if (claim === undefined || lease === undefined || lease.owner !== this.originId || lease.epoch !== claim.epoch) {
      if (claim !== undefined) this.#fenced({ key, epoch: claim.epoch, newerEpoch: lease?.epoch, owner: lease?.owner });
      return 'lost';
    }
    this.#store.keepPosition(key, position);
    return 'ok';
  }

  async release(key: string, position?: StreamPosition): Promise<void> {
    const claim = this.#claims.get(key);
    if (claim === undefined) return;
    this.#claims.delete(key);
    const lease = this.#store.leases.get(key);
    if (lease === undefined || lease.owner !== this.originId || lease.epoch !== claim.epoch) return;
    const previous = this.#store.route(key);
    if (position !== undefined) this.#store.keepPosition(key, position);
    this.#store.leases.delete(key);
    this.#broadcast(key, previous);
  }

  lookup(key: string): StreamRoute | undefined {
    return this.#store.route(key);
  }

  routes(): ReadonlyMap<string, StreamRoute> {
    const map = new Map<string, StreamRoute>();
    for (const key of this.#store.leases.keys()) map.set(key, this.#store.route(key)!);
    return map;
  }

  claims(): ReadonlyMap<string, StreamClaim> {
    return new Map(this.#claims);
  }

  /** One process, no pauses to fear: holding the claim is owning. */
  holds(key: string): boolean {
    return this.#claims.has(key);
  }

  settled(): Promise<void> {
    return Promise.resolve();
  }

  origins(): ReadonlyMap<string, OriginInfo> {
    return new Map(this.#store.origins);
  }

  setLoad(load: number): void {
    if (this.#closed) return;
    this.#store.origins.set(this.originId, { id: this.originId, baseUrl: this.#baseUrl, load, updatedAtMs: this.#now() });
  }

  health(): RegistryHealth {
    return 'ok';
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    for (const key of [...this.#claims.keys()]) await this.release(key);
    this.#closed = true;
    this.#store.origins.delete(this.originId);
    this.#store.members.delete(this);
  }

  #fenced(lost: ClaimLost): void {
    const claim = this.#claims.get(lost.key);
    if (claim === undefined || claim.epoch !== lost.epoch) return;
    this.#claims.delete(lost.key);
    this.emit('lost', lost);
  }

  /** 'change' to every registry sharing the store, each seeing the same map. */
  #broadcast(key: string, previous: StreamRoute | undefined): void {
    const route = this.#store.route(key);
    for (const member of this.#store.members) member.emit('change', { key, route, previous });
  }
}
