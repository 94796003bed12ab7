import type { ServerSession } from './server-session.js';

/**
 * A publish or play asking to be let in. Listeners of the 'publish'/'play' event may `reject` it
 * at once, or hand `waitFor` a promise (an auth call); the session holds the stream's messages
 * (and stops reading the socket) until every check settled. Accepted unless something refused.
 */
export class StreamRequest {
  readonly session: ServerSession;
  /** The application from connect (`live` for rtmp://host/live/key), without its query. */
  readonly app: string;
  readonly streamKey: string;
  /** Query string of the stream name (after `?`), or of the app when the name has none. */
  readonly query: string;
  readonly messageStreamId: number;
  private refusal: string | undefined;
  private readonly checks: Promise<unknown>[] = [];

  constructor(session: ServerSession, app: string, streamKey: string, query: string, messageStreamId: number) {
    this.session = session;
    this.app = app;
    this.streamKey = streamKey;
    this.query = query;
    this.messageStreamId = messageStreamId;
  }

  /** Refuses; the client is told why (status description) and disconnected for a publish. */
  reject(reason = 'refused'): void {
    this.refusal ??= reason;
  }

  /** Delays the decision until `check` settles; it refuses when the check resolves false or rejects. */
  waitFor(check: Promise<boolean | void>): void {
    this.checks.push(
      check.then(
        (ok) => {
          if (ok === false) this.reject('refused');
        },
        (err: unknown) => this.reject(err instanceof Error ? err.message : 'refused'),
      ),
    );
  }

  /** Whether a check is pending, so the session must wait for `settle`. */
  get pending(): boolean {
    return this.checks.length > 0;
  }

  /** The refusal reason, or undefined once accepted. */
  async settle(): Promise<string | undefined> {
    await Promise.all(this.checks);
    return this.refusal;
  }

  get refused(): string | undefined {
    return this.refusal;
  }
}

/** publish(name, type) — RTMP 7.2.2.6. */
export class PublishRequest extends StreamRequest {
  /** 'live', 'record' or 'append' as the client asked; tidecast treats all as live ingest. */
  publishType = 'live';
}

/** play(name, start, duration, reset) — RTMP 7.2.2.1. */
export class PlayRequest extends StreamRequest {
  /** -2 live or recorded, -1 live only, ≥ 0 recorded from that many seconds. */
  start = -2;
  duration = -1;
  reset = true;
}
