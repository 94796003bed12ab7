import { RtmpError } from '../../errors/index.js';

/**
 * 128 MiB: the bytes all sessions of one server may hold in incomplete messages at once. An
 * honest publisher holds about one frame in flight (a 4K keyframe is 1–2 MiB), so 128 MiB is
 * dozens of such frames at the same instant; without it each session's own 16 MiB
 * (maxPendingBytes) times 1 000 connections would let peers pin 16 GiB.
 */
export const DEFAULT_MAX_TOTAL_PENDING_BYTES = 128 * 1024 * 1024;

/** One session's part of a PendingBudget: what its chunk reader reserves and releases. */
export interface PendingAccount {
  /** Reserves `bytes` before they are buffered; throws ERR_RTMP_PENDING_BUDGET when refused. */
  reserve(bytes: number): void;
  release(bytes: number): void;
  /** Bytes this account holds. */
  readonly heldBytes: number;
  /** Releases everything this account holds; the account is unusable afterwards. */
  close(): void;
}

/**
 * The global budget for incomplete incoming RTMP messages, shared by every session of a server.
 * A session reserves a message's declared length before its body is allocated. When the budget
 * would overflow, the reservation is refused if this session already holds its fair share (the
 * budget divided among the sessions holding bytes), else room is made by closing the sessions that
 * hold the most — always over their share, as the total is over the budget — so a few peers
 * declaring huge messages cannot starve honest publishers whose frames are in flight.
 *
 * Pure bookkeeping: no I/O and no timers; closing a session is the `evict` callback of its account.
 */
export class PendingBudget {
  readonly limitBytes: number;
  readonly #held = new Map<Account, number>();
  #total = 0;

  constructor(limitBytes = DEFAULT_MAX_TOTAL_PENDING_BYTES) {
    this.limitBytes = limitBytes;
  }

  /** Bytes held by all accounts. */
  get totalBytes(): number {
    return this.#total;
  }

  /** A new account; `evict` is called (once) when this account's session must make room. */
  account(evict: (error: RtmpError) => void): PendingAccount {
    return new Account(this, evict);
  }

  /** @internal */
  reserve(account: Account, bytes: number): void {
    const held = this.#held.get(account) ?? 0;
    if (this.#total + bytes > this.limitBytes) {
      const holders = this.#held.size + (held === 0 ? 1 : 0);
      const share = Math.floor(this.limitBytes / holders);
      if (held + bytes > share) {
        throw new RtmpError('ERR_RTMP_PENDING_BUDGET', `incomplete messages of all sessions would hold ${this.#total + bytes} bytes, above maxTotalPendingBytes ${this.limitBytes}, and this session's ${held + bytes} exceed its share of ${share}`, { total: this.#total, requested: bytes, held, share, limit: this.limitBytes });
      }
      this.#evictFor(account, bytes);
    }
    this.#held.set(account, held + bytes);
    this.#total += bytes;
  }

  /** @internal */
  release(account: Account, bytes: number): void {
    const held = this.#held.get(account);
    if (held === undefined) return;
    const left = Math.max(0, held - bytes);
    this.#total -= held - left;
    if (left === 0) this.#held.delete(account);
    else this.#held.set(account, left);
  }

  /** @internal */
  heldBy(account: Account): number {
    return this.#held.get(account) ?? 0;
  }

  #evictFor(requester: Account, bytes: number): void {
    const largest = [...this.#held.entries()].filter(([a]) => a !== requester).sort((x, y) => y[1] - x[1]);
    for (const [victim, held] of largest) {
      if (this.#total + bytes <= this.limitBytes) return;
      this.release(victim, held);
      victim.evicted(new RtmpError('ERR_RTMP_PENDING_BUDGET', `closed to make room: this session held ${held} bytes of incomplete messages when all sessions together reached maxTotalPendingBytes ${this.limitBytes}`, { held, limit: this.limitBytes }));
    }
  }
}

class Account implements PendingAccount {
  readonly #budget: PendingBudget;
  #evict: ((error: RtmpError) => void) | undefined;

  constructor(budget: PendingBudget, evict: (error: RtmpError) => void) {
    this.#budget = budget;
    this.#evict = evict;
  }

  get heldBytes(): number {
    return this.#budget.heldBy(this);
  }

  reserve(bytes: number): void {
    if (this.#evict === undefined) throw new RtmpError('ERR_RTMP_PENDING_BUDGET', 'the session was closed to make room for others', {});
    this.#budget.reserve(this, bytes);
  }

  release(bytes: number): void {
    this.#budget.release(this, bytes);
  }

  close(): void {
    this.#budget.release(this, Number.POSITIVE_INFINITY);
    this.#evict = undefined;
  }

  evicted(error: RtmpError): void {
    const evict = this.#evict;
    this.#evict = undefined;
    evict?.(error);
  }
}
