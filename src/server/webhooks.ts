import { createHmac, randomBytes } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';

/**
 * Signed, retried webhooks (docs/webhooks.md): each event is POSTed as JSON to every endpoint that
 * wants its type, signed the Standard Webhooks way (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,<base64 HMAC-SHA256(secret, "id.timestamp.body")>`), retried with
 * exponential backoff and full jitter until an endpoint answers 2xx or the attempts run out.
 * Per endpoint and stream the events go one at a time, in order (a retry holds the ones after it);
 * streams do not wait for each other. `send` only queues: ingest never waits for a receiver. Queues
 * are bounded: past `maxQueued` events an endpoint's newest are dropped and counted.
 */

export type WebhookEventType =
  | 'stream.started'
  | 'stream.ended'
  | 'stream.health_changed'
  | 'session.opened'
  | 'session.closed'
  | `job.${string}`
  | `recording.${string}`
  | 'upload.completed'
  | 'upload.failed';

export interface WebhookEvent {
  /** Unique per event; the same on every retry (receivers deduplicate by it). */
  readonly id: string;
  readonly type: WebhookEventType;
  /** ISO 8601, when the event happened. */
  readonly timestamp: string;
  readonly data: Record<string, unknown>;
}

export interface WebhookEndpoint {
  readonly url: string;
  /** The signing secret: `whsec_` and base64 (Standard Webhooks), or any other string used as its bytes. */
  readonly secret: string;
  /** The event types it receives (a `*` suffix matches a prefix, e.g. `stream.*`); default all. */
  readonly events?: readonly string[];
}

export interface WebhookOptions {
  readonly endpoints: readonly WebhookEndpoint[];
  /** Attempts per event and endpoint before it is given up. Default 12 (about 10 minutes with the defaults). */
  readonly maxAttempts?: number;
  /** First retry delay and the cap of the exponential backoff, ms. Defaults 500 and 60 000. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** A delivery's timeout, ms. Default 5000. */
  readonly timeoutMs?: number;
  /** Events waiting per endpoint, all streams together. Default 10 000. */
  readonly maxQueued?: number;
}

export interface WebhookCounters {
  delivered: number;
  /** Failed attempts (non-2xx, timeout, connection error). */
  failedAttempts: number;
  /** Events given up after maxAttempts. */
  givenUp: number;
  /** Events dropped because an endpoint's queue was full. */
  dropped: number;
}

export interface WebhookDispatcherEvents {
  /** An event for library users, as it is queued (in-process, whether or not endpoints are configured). */
  event: [event: WebhookEvent];
  /** A delivery failed (it will be retried unless `gaveUp`). */
  deliveryFailed: [endpoint: string, event: WebhookEvent, error: string, gaveUp: boolean];
}

/** One endpoint's queues: per stream (the ordering key), and which ones are being worked on. */
interface EndpointState {
  readonly endpoint: WebhookEndpoint;
  readonly key: Buffer;
  readonly queues: Map<string, WebhookEvent[]>;
  queued: number;
}

export class WebhookDispatcher extends EventEmitter<WebhookDispatcherEvents> {
  readonly counters: WebhookCounters = { delivered: 0, failedAttempts: 0, givenUp: 0, dropped: 0 };
  readonly #endpoints: EndpointState[];
  readonly #maxAttempts: number;
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #timeoutMs: number;
  readonly #maxQueued: number;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inflight = new Set<AbortController>();
  #closed = false;
  #sequence = 0;

  constructor(options: WebhookOptions) {
    super();
    this.#endpoints = options.endpoints.map((endpoint) => ({ endpoint, key: secretKey(endpoint.secret), queues: new Map(), queued: 0 }));
    this.#maxAttempts = options.maxAttempts ?? 12;
    this.#baseMs = options.retryBaseMs ?? 500;
    this.#maxMs = options.retryMaxMs ?? 60_000;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#maxQueued = options.maxQueued ?? 10_000;
  }

  /** Queues an event for every endpoint that wants it; `orderKey` (a stream's `<app>/<key>`) keeps its events in order. Returns the event. */
  send(type: WebhookEventType, data: Record<string, unknown>, orderKey: string, nowMs = Date.now()): WebhookEvent {
    const event: WebhookEvent = { id: `evt_${nowMs.toString(36)}_${(this.#sequence++).toString(36)}_${randomBytes(6).toString('hex')}`, type, timestamp: new Date(nowMs).toISOString(), data };
    this.emit('event', event);
    if (this.#closed) return event;
    for (const state of this.#endpoints) {
      if (!wants(state.endpoint, type)) continue;
      if (state.queued >= this.#maxQueued) {
        this.counters.dropped += 1;
        continue;
      }
      let queue = state.queues.get(orderKey);
      const idle = queue === undefined || queue.length === 0;
      if (queue === undefined) state.queues.set(orderKey, (queue = []));
      queue.push(event);
      state.queued += 1;
      // A failure outside a delivery (an event that cannot be serialized) gives the queue up; it never reaches the process.
      if (idle) this.#drain(state, orderKey, queue).catch(() => this.#abandon(state, orderKey));
    }
    return event;
  }

  /** Events waiting or in flight, all endpoints. */
  get pending(): number {
    return this.#endpoints.reduce((sum, s) => sum + s.queued, 0);
  }

  /** Stops delivering: retries are cancelled, requests in flight aborted, queued events dropped. */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const c of this.#inflight) c.abort();
  }

  #abandon(state: EndpointState, orderKey: string): void {
    const left = state.queues.get(orderKey)?.length ?? 0;
    this.counters.givenUp += left;
    state.queued -= left;
    state.queues.delete(orderKey);
  }

  async #drain(state: EndpointState, orderKey: string, queue: WebhookEvent[]): Promise<void> {
    while (queue.length > 0 && !this.#closed) {
      const event = queue[0]!;
      await this.#deliver(state, event);
      queue.shift();
      state.queued -= 1;
    }
    if (queue.length === 0) state.queues.delete(orderKey);
  }

  /** Delivers one event to one endpoint, retrying until a 2xx or the attempts run out. */
  async #deliver(state: EndpointState, event: WebhookEvent): Promise<void> {
    const body = JSON.stringify(event);
    for (let attempt = 1; !this.#closed; attempt++) {
      const error = await this.#attempt(state, event, body);
      if (error === undefined) {
        this.counters.delivered += 1;
        return;
      }
      this.counters.failedAttempts += 1;
      const gaveUp = attempt >= this.#maxAttempts;
      this.emit('deliveryFailed', state.endpoint.url, event, error, gaveUp);
      if (gaveUp) {
        this.counters.givenUp += 1;
        return;
      }
      // Full jitter: anywhere up to the exponential bound, so receivers coming back are not hit all at once.
      const bound = Math.min(this.#maxMs, this.#baseMs * 2 ** (attempt - 1));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          resolve();
        }, Math.round(bound / 2 + (Math.random() * bound) / 2));
        this.#timers.add(timer);
      });
    }
  }

  /** One POST: undefined when the endpoint answered 2xx, else why not. */
  async #attempt(state: EndpointState, event: WebhookEvent, body: string): Promise<string | undefined> {
    const seconds = Math.floor(Date.now() / 1000);
    const signature = createHmac('sha256', state.key).update(`${event.id}.${seconds}.${body}`).digest('base64');
    const controller = new AbortController();
    this.#inflight.add(controller);
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    try {
      const res = await fetch(state.endpoint.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': event.id, 'webhook-timestamp': String(seconds), 'webhook-signature': `v1,${signature}`, 'user-agent': 'tidecast-webhooks' },
        body,
        signal: controller.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.status >= 200 && res.status < 300 ? undefined : `HTTP ${res.status}`;
    } catch (err) {
      return controller.signal.aborted ? `timeout after ${this.#timeoutMs} ms` : (err as Error).message;
    } finally {
      clearTimeout(timer);
      this.#inflight.delete(controller);
    }
  }
}

/** `whsec_<base64>` is the Standard Webhooks form; any other string is used as its UTF-8 bytes. */
function secretKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}

function wants(endpoint: WebhookEndpoint, type: string): boolean {
  if (endpoint.events === undefined) return true;
  return endpoint.events.some((e) => (e.endsWith('*') ? type.startsWith(e.slice(0, -1)) : e === type));
}
