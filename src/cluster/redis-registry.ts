import { EventEmitter } from 'eventemitter3';
import { Redis } from 'ioredis';
import { checkRedisRegistryOptions, MAX_RECONNECT_DELAY_MS, type CheckedRedisRegistryOptions, type RedisRegistryOptions } from './registry-redis-options.js';
import { scanHashes } from './registry-redis-scan.js';
import { CLAIM_LUA, parseLeaseReply, parseRouteMessage, REFRESH_LUA, RELEASE_LUA, type LeaseReply } from './redis-scripts.js';
import {
  sameRoute,
  START_POSITION,
  type OriginInfo,
  type RefreshResult,
  type RegistryHealth,
  type StreamClaim,
  type StreamPosition,
  type StreamRegistry,
  type StreamRegistryEvents,
  type StreamRoute,
} from './registry.js';

/**
 * The registry in Redis (ioredis), for several origins (docs/cluster.md "The registry").
 *
 * Two connections: commands, with the offline queue off, unanswered commands not resent after a
 * reconnect and a short command timeout, so an unreachable or frozen Redis is an error within
 * commandTimeoutMs, never a hang; and a subscriber on `<prefix>routes`, resubscribed by ioredis.
 * One timer, every refreshMs: replay what the outage held back, refresh every claim, write this
 * origin's heartbeat, then resync the whole local map (streams and origins) by SCAN. Pub/sub only
 * makes changes quick; the resync makes them certain (messages sent while a subscriber is away are
 * lost, redis.io "Keyspace notifications"), and it also runs at once after every (re)subscribe.
 *
 * Outage mode: a failed command makes the registry 'degraded'. Claims are kept and served, new
 * claims are taken locally with a provisional epoch (the last known + 1), releases are queued; when
 * Redis answers again they are replayed (the claim epoch-checked: refused if another claim came
 * after the one it was based on) and 'restored' is emitted. For one lease after that, and after a
 * resubscribe, the resync does not drop routes missing from Redis: their owners are re-creating
 * the leases that lapsed while Redis was away or lost with its memory.
 */

export type { RedisRegistryOptions } from './registry-redis-options.js';

interface HeldClaim extends StreamClaim {
  /** The epoch a local claim was based on (its replay is refused if Redis has a newer one). */
  readonly baseEpoch: number;
  position: StreamPosition;
}

type Argument = string | number;
interface RegistryCommands {
  tcClaim(lease: string, fence: string, ...argv: Argument[]): Promise<unknown>;
  tcRefresh(lease: string, fence: string, ...argv: Argument[]): Promise<unknown>;
  tcRelease(lease: string, fence: string, ...argv: Argument[]): Promise<unknown>;
}

/** Retained positions of keys this origin gave up, for a claim made during an outage; the oldest go first. */
const MAX_RETAINED = 10_000;

export class RedisStreamRegistry extends EventEmitter<StreamRegistryEvents> implements StreamRegistry {
  readonly originId: string;
  /** The URL (password hidden) and prefix, for messages. */
  readonly where: string;
  /** The pub/sub channel of route messages. */
  readonly channel: string;
  readonly #o: CheckedRedisRegistryOptions;
  readonly #client: Redis & RegistryCommands;
  readonly #subscriber: Redis;
  readonly #claims = new Map<string, HeldClaim>();
  readonly #pendingReleases = new Map<string, { epoch: number; position: StreamPosition }>();
  readonly #routes = new Map<string, StreamRoute>();
  /** Per key, the message count when a message last changed its route: a resync begun before leaves it alone. */
  readonly #touched = new Map<string, number>();
  readonly #retained = new Map<string, { epoch: number; position: StreamPosition }>();
  #origins = new Map<string, OriginInfo>();
  #messages = 0;
  #load = 0;
  #degraded: Error | undefined;
  #holdRoutesUntilMs = 0;
  #subscriberReady = false;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  /**
   * When the last finished refresh round began (performance.now()): what it learnt is at least
   * that recent. Longer ago than a lease: this process was paused (a round in flight across the
   * pause finishes with an answer from before it, so its start counts, not its end).
   */
  #askedAt = performance.now();
  #started = false;
  #closed = false;

  constructor(options: RedisRegistryOptions) {
    super();
    const o = checkRedisRegistryOptions(options);
    this.#o = o;
    this.originId = o.originId;
    this.where = `${o.where} prefix ${o.prefix}`;
    this.channel = `${o.prefix}routes`;
    const retryStrategy = (attempt: number): number => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS);
    const client = new Redis(o.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      commandTimeout: o.commandTimeoutMs,
      connectTimeout: o.connectTimeoutMs,
      retryStrategy,
    });
    client.defineCommand('tcClaim', { numberOfKeys: 2, lua: CLAIM_LUA });
    client.defineCommand('tcRefresh', { numberOfKeys: 2, lua: REFRESH_LUA });
    client.defineCommand('tcRelease', { numberOfKeys: 2, lua: RELEASE_LUA });
    this.#client = client as Redis & RegistryCommands;
    this.#subscriber = new Redis(o.url, { lazyConnect: true, maxRetriesPerRequest: null, connectTimeout: o.connectTimeoutMs, retryStrategy });
    // Failures surface as rejected commands (→ degraded); without listeners ioredis prints each attempt.
    client.on('error', () => {});
    this.#subscriber.on('error', () => {});
  }

  /** Connects, subscribes, runs the first heartbeat and resync, starts the timer. An unreachable Redis leaves it degraded, not failed. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    try {
      await this.#client.connect();
    } catch (err) {
      this.#markDegraded(err);
    }
    this.#subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.#onMessage(text);
    });
    this.#subscriber.on('ready', () => {
      // A reconnect: Redis may have restarted empty, and messages sent meanwhile are lost. ioredis
      // resubscribes after 'ready'; subscribing here too (idempotent) tells when it took effect,
      // and only then is a resync sure to miss nothing.
      if (this.#subscriberReady) this.#holdRoutesUntilMs = this.#o.now() + this.#o.leaseMs;
      this.#subscriberReady = true;
      this.#subscriber.subscribe(this.channel).then(() => this.#runTick(), () => {});
    });
    this.#subscriber.connect().catch(() => {});
    await this.#runTick();
    this.#timer = setInterval(() => void this.#runTick(), this.#o.refreshMs);
    this.#timer.unref();
  }

  async claim(key: string): Promise<StreamClaim> {
    if (this.#degraded === undefined && this.#started) {
      const reply = await this.#lease(() => this.#client.tcClaim(...this.#keys(key), this.originId, this.#o.baseUrl, this.#o.now(), this.#o.leaseMs, this.#o.retainMs, this.channel, key, -1, 0));
      if (reply?.ok === true) {
        const continuation = reply.msn !== undefined ? { msn: reply.msn, dseq: reply.dseq ?? 0 } : undefined;
        return this.#hold({ key, epoch: reply.epoch, continuation, confirmed: true, baseEpoch: reply.epoch - 1, position: continuation ?? START_POSITION });
      }
    }
    const known = this.#routes.get(key);
    const retained = this.#retained.get(key);
    const held = this.#claims.get(key);
    const baseEpoch = Math.max(known?.epoch ?? 0, retained?.epoch ?? 0, held?.epoch ?? 0);
    const continuation = held?.position ?? (known !== undefined && known.owner !== this.originId ? known.position : retained?.position);
    return this.#hold({ key, epoch: baseEpoch + 1, continuation, confirmed: false, baseEpoch, position: continuation ?? START_POSITION });
  }

  async refresh(key: string, position: StreamPosition): Promise<RefreshResult> {
    const claim = this.#claims.get(key);
    if (claim === undefined) return 'lost';
    claim.position = { msn: position.msn, dseq: position.dseq };
    if (this.#degraded !== undefined || !claim.confirmed) return 'degraded';
    return this.#refreshOne(claim);
  }

  async release(key: string, position?: StreamPosition): Promise<void> {
    const claim = this.#claims.get(key);
    if (claim === undefined) return;
    this.#claims.delete(key);
    const at = position ?? claim.position;
    this.#retain(key, claim.epoch, at);
    const route = this.#routes.get(key);
    if (route?.owner === this.originId && route.epoch === claim.epoch) this.#setRoute(key, undefined);
    if (!claim.confirmed) return;
    if (this.#degraded !== undefined || !(await this.#releaseInRedis(key, claim.epoch, at))) this.#pendingReleases.set(key, { epoch: claim.epoch, position: at });
  }

  lookup(key: string): StreamRoute | undefined {
    return this.#routes.get(key);
  }

  routes(): ReadonlyMap<string, StreamRoute> {
    return new Map(this.#routes);
  }

  claims(): ReadonlyMap<string, StreamClaim> {
    const map = new Map<string, StreamClaim>();
    for (const [key, c] of this.#claims) map.set(key, { key, epoch: c.epoch, continuation: c.continuation, confirmed: c.confirmed });
    return map;
  }

  holds(key: string): boolean {
    return this.#claims.has(key) && performance.now() - this.#askedAt < this.#o.leaseMs;
  }

  /** A round begun now: one already under way may have asked before a pause. */
  async settled(): Promise<void> {
    await this.#tick;
    await this.#runTick();
  }

  origins(): ReadonlyMap<string, OriginInfo> {
    const map = new Map(this.#origins);
    map.set(this.originId, { id: this.originId, baseUrl: this.#o.baseUrl, load: this.#load, updatedAtMs: this.#o.now() });
    return map;
  }

  setLoad(load: number): void {
    this.#load = load;
  }

  health(): RegistryHealth {
    return this.#degraded === undefined ? 'ok' : 'degraded';
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#tick;
    if (this.#degraded === undefined) {
      for (const key of [...this.#claims.keys()]) await this.release(key);
      await this.#command(() => this.#client.del(`${this.#o.prefix}origin:${this.originId}`));
    }
    this.#client.disconnect();
    this.#subscriber.disconnect();
  }

  #keys(key: string): [string, string] {
    return [`${this.#o.prefix}stream:${key}`, `${this.#o.prefix}epoch:${key}`];
  }

  #hold(claim: HeldClaim): StreamClaim {
    this.#claims.set(claim.key, claim);
    this.#pendingReleases.delete(claim.key);
    // A newer claim's message can come in before this claim's reply: the map keeps the newer one.
    if ((this.#routes.get(claim.key)?.epoch ?? 0) <= claim.epoch) this.#setRoute(claim.key, { key: claim.key, owner: this.originId, epoch: claim.epoch, baseUrl: this.#o.baseUrl, position: claim.position });
    return { key: claim.key, epoch: claim.epoch, continuation: claim.continuation, confirmed: claim.confirmed };
  }

  #retain(key: string, epoch: number, position: StreamPosition): void {
    this.#retained.delete(key);
    this.#retained.set(key, { epoch, position });
    if (this.#retained.size > MAX_RETAINED) this.#retained.delete(this.#retained.keys().next().value!);
  }

  /** A command; undefined when Redis did not answer (the registry is then degraded). */
  async #command<T>(run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await run();
    } catch (err) {
      this.#markDegraded(err);
      return undefined;
    }
  }

  async #lease(run: () => Promise<unknown>): Promise<LeaseReply | undefined> {
    const reply = await this.#command(run);
    return reply === undefined ? undefined : parseLeaseReply(reply);
  }

  #markDegraded(err: unknown): void {
    const reason = err instanceof Error ? err : new Error(String(err));
    const first = this.#degraded === undefined;
    this.#degraded = reason;
    if (first && !this.#closed) this.emit('degraded', reason);
  }

  async #refreshOne(claim: HeldClaim): Promise<RefreshResult> {
    const p = claim.position;
    const argv = [this.originId, claim.epoch, this.#o.baseUrl, p.msn, p.dseq, this.#o.now(), this.#o.leaseMs, this.#o.retainMs, this.channel, claim.key];
    const reply = await this.#lease(() => this.#client.tcRefresh(...this.#keys(claim.key), ...argv));
    if (reply === undefined) return 'degraded';
    if (!reply.ok) this.#fence(claim.key, claim.epoch, reply.newerEpoch, reply.owner, reply.route);
    return this.#claims.get(claim.key)?.epoch === claim.epoch ? 'ok' : 'lost';
  }

  async #releaseInRedis(key: string, epoch: number, p: StreamPosition): Promise<boolean> {
    const reply = await this.#command(() => this.#client.tcRelease(...this.#keys(key), this.originId, epoch, p.msn, p.dseq, this.#o.retainMs, this.channel, key));
    return reply !== undefined;
  }

  /**
   * Our claim of `key` at `epoch` was fenced (a later claim of ours is left alone). When the store
   * told where the stream went, the map says so at once: a request for it is forwarded there,
   * never answered from this origin's stale copy.
   */
  #fence(key: string, epoch: number, newerEpoch: number | undefined, owner: string | undefined, to?: { url: string; position: StreamPosition }): void {
    const claim = this.#claims.get(key);
    if (claim === undefined || claim.epoch !== epoch) return;
    this.#claims.delete(key);
    this.#retain(key, epoch, claim.position);
    const route = this.#routes.get(key);
    if (route?.owner === this.originId && route.epoch === epoch) this.#setRoute(key, undefined);
    if (to !== undefined && owner !== undefined && owner !== '' && newerEpoch !== undefined && (this.#routes.get(key)?.epoch ?? 0) < newerEpoch) {
      this.#setRoute(key, { key, owner, epoch: newerEpoch, baseUrl: to.url, position: to.position });
    }
    this.emit('lost', { key, epoch, newerEpoch, owner: owner === '' ? undefined : owner });
  }

  #setRoute(key: string, route: StreamRoute | undefined): void {
    const previous = this.#routes.get(key);
    if (route === undefined) this.#routes.delete(key);
    else this.#routes.set(key, route);
    if (!sameRoute(previous, route)) this.emit('change', { key, route, previous });
  }

  #onMessage(text: string): void {
    const m = parseRouteMessage(text);
    if (m === undefined || this.#closed) return;
    this.#touched.set(m.key, ++this.#messages);
    const current = this.#routes.get(m.key);
    if (m.t === 'release') {
      if (current === undefined || current.epoch > m.epoch || current.owner !== m.owner) return;
      this.#retain(m.key, m.epoch, m.position);
      this.#setRoute(m.key, undefined);
      return;
    }
    const mine = this.#claims.get(m.key);
    if (mine?.confirmed === true && m.epoch > mine.epoch) this.#fence(m.key, mine.epoch, m.epoch, m.owner);
    if (current !== undefined && current.epoch > m.epoch) return;
    this.#setRoute(m.key, { key: m.key, owner: m.owner, epoch: m.epoch, baseUrl: m.url, position: m.position });
  }

  /** One round of the timer; a round already running is joined, not doubled. */
  #runTick(): Promise<void> {
    if (this.#closed && this.#tick === undefined) return Promise.resolve();
    // A round ends refreshed, fenced or degraded: either way this origin has asked, so holds() trusts its claims again.
    if (this.#tick !== undefined) return this.#tick;
    const askedAt = performance.now();
    const tick = this.#round().finally(() => {
      this.#tick = undefined;
      this.#askedAt = askedAt;
    });
    this.#tick = tick;
    return tick;
  }

  async #round(): Promise<void> {
    const wasDegraded = this.#degraded !== undefined;
    if (wasDegraded) {
      if ((await this.#command(() => this.#client.ping())) === undefined) return;
      this.#holdRoutesUntilMs = this.#o.now() + this.#o.leaseMs;
    }
    const lastError = this.#degraded;
    if (!(await this.#replay())) return;
    for (const result of await Promise.all([...this.#claims.values()].filter((c) => c.confirmed).map((c) => this.#refreshOne(c)))) {
      if (result === 'degraded') return;
    }
    const originKey = `${this.#o.prefix}origin:${this.originId}`;
    const beat = this.#client.multi().hset(originKey, 'url', this.#o.baseUrl, 'load', this.#load, 'updatedAt', this.#o.now()).pexpire(originKey, this.#o.leaseMs);
    if ((await this.#command(() => beat.exec())) === undefined) return;
    if (!(await this.#resync())) return;
    if (wasDegraded && this.#degraded === lastError) {
      this.#degraded = undefined;
      if (!this.#closed) this.emit('restored');
    }
  }

  /** Releases queued during the outage, then claims taken locally (epoch-checked). False if Redis failed meanwhile. */
  async #replay(): Promise<boolean> {
    for (const [key, r] of [...this.#pendingReleases]) {
      if (!(await this.#releaseInRedis(key, r.epoch, r.position))) return false;
      this.#pendingReleases.delete(key);
    }
    for (const claim of [...this.#claims.values()].filter((c) => !c.confirmed)) {
      const argv = [this.originId, this.#o.baseUrl, this.#o.now(), this.#o.leaseMs, this.#o.retainMs, this.channel, claim.key, claim.baseEpoch, claim.epoch];
      const reply = await this.#lease(() => this.#client.tcClaim(...this.#keys(claim.key), ...argv));
      if (reply === undefined) return false;
      if (this.#claims.get(claim.key) !== claim) {
        // Released or claimed again while the replay was under way: give the replayed lease back.
        if (reply.ok && !(await this.#releaseInRedis(claim.key, reply.epoch, claim.position))) return false;
        continue;
      }
      if (!reply.ok) this.#fence(claim.key, claim.epoch, reply.newerEpoch, reply.owner);
      else this.#hold({ ...claim, epoch: reply.epoch, confirmed: true });
    }
    return true;
  }

  /** The whole map from Redis: every lease and every origin heartbeat. False if Redis failed. */
  async #resync(): Promise<boolean> {
    const since = this.#messages;
    const streams = await this.#command(() => scanHashes(this.#client, `${this.#o.prefix}stream:`));
    const origins = await this.#command(() => scanHashes(this.#client, `${this.#o.prefix}origin:`));
    if (streams === undefined || origins === undefined || this.#closed) return false;
    const seen = new Set<string>();
    for (const [key, h] of streams) {
      const epoch = Number(h['epoch']);
      if (h['owner'] === undefined || !Number.isSafeInteger(epoch)) continue;
      seen.add(key);
      if ((this.#touched.get(key) ?? 0) > since) continue;
      const mine = this.#claims.get(key);
      if (mine?.confirmed === true && epoch > mine.epoch) this.#fence(key, mine.epoch, epoch, h['owner']);
      const current = this.#routes.get(key);
      if (current !== undefined && current.epoch > epoch) continue;
      this.#setRoute(key, { key, owner: h['owner'], epoch, baseUrl: h['url'] ?? '', position: { msn: Number(h['msn'] ?? 0), dseq: Number(h['dseq'] ?? 0) } });
    }
    const holding = this.#o.now() < this.#holdRoutesUntilMs;
    for (const [key, route] of [...this.#routes]) {
      if (seen.has(key) || holding || (this.#touched.get(key) ?? 0) > since) continue;
      if (route.owner === this.originId && this.#claims.get(key)?.epoch === route.epoch) continue;
      this.#retain(key, route.epoch, route.position);
      this.#setRoute(key, undefined);
    }
    for (const key of [...this.#touched.keys()]) if (this.#touched.get(key)! <= since) this.#touched.delete(key);
    const map = new Map<string, OriginInfo>();
    for (const [id, h] of origins) map.set(id, { id, baseUrl: h['url'] ?? '', load: Number(h['load'] ?? 0), updatedAtMs: Number(h['updatedAt'] ?? 0) });
    this.#origins = map;
    return true;
  }
}
