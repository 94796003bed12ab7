import { performance } from 'node:perf_hooks';
import {
  comparePositions,
  lastPartPosition,
  nextPartPosition,
  parseMediaPlaylist,
  pickRenditions,
  type MediaPlaylist,
  type PartPosition,
} from './loadgen-playlist.js';
import type { HttpPool } from './loadgen-http.js';
import { cacheVerdict, type LoadRecorder, type RequestKind } from './loadgen-stats.js';

/**
 * One virtual LL-HLS viewer, modelled on hls.js in low-latency mode (RFC 8216bis 6.3.7): the
 * multivariant playlist, then per followed rendition (the first variant and its audio) a plain load
 * of the media playlist, a start at its last independent part, then a loop of a blocking reload for
 * the next part (`?_HLS_msn=M&_HLS_part=P`, in that canonical order) together with a GET of the
 * preload-hinted part, and a GET of every listed part it has not got yet (a whole segment when its
 * parts have left the playlist). HTTP: loadgen-http.ts.
 *
 * Continuity, per rendition: EXT-X-MEDIA-SEQUENCE, EXT-X-DISCONTINUITY-SEQUENCE and the last part
 * listed never go back; a blocking answer lists the part it was asked for (6.2.5.2); the viewer
 * never has to skip a part, except across an EXT-X-DISCONTINUITY.
 */

export interface ViewerOptions {
  /** Multivariant or media playlist. */
  readonly url: string;
  readonly recorder: LoadRecorder;
  /** Ends the viewer; requests in flight then are not recorded. */
  readonly signal: AbortSignal;
  /** The run's keep-alive connections. */
  readonly pool: HttpPool;
  /** A request not answered in this time counts as a network error (status 0). */
  readonly requestTimeoutMs: number;
  /** Called with each recorded answer (bench/cluster.ts pairs answers for the same part across hops); nothing else depends on it. */
  readonly onAnswer?: (answer: AnswerTiming) => void;
}

/** One recorded answer's timing, for `onAnswer`: epoch ms (performance.timeOrigin + performance.now()). */
export interface AnswerTiming {
  readonly url: string;
  readonly kind: RequestKind;
  /** HTTP status; 0 for a network error or a timeout. */
  readonly status: number;
  readonly sentAt: number;
  readonly lastByteAt: number;
  readonly cache: 'hit' | 'miss' | undefined;
}

/** Between retries of a playlist that is not there yet (404) or answered an error. */
const RETRY_MS = 200;
/** Hinted parts whose delay is not known yet (they wait for the playlist that lists them), at most. */
const MAX_PENDING_DELAYS = 64;

const epochMs = (): number => performance.timeOrigin + performance.now();

interface Answer {
  readonly status: number;
  /** Playlists only; empty for media. */
  readonly body: Buffer;
  readonly bytes: number;
  readonly lastByteAt: number;
}

const EMPTY = Buffer.alloc(0);
const PLAYLIST_KINDS: ReadonlySet<RequestKind> = new Set(['multivariant', 'playlist', 'blocking']);
const header = (value: string | string[] | undefined): string | null => (value === undefined ? null : Array.isArray(value) ? value.join(', ') : value);

class Viewer {
  #joined = false;

  constructor(readonly o: ViewerOptions) {}

  get stopped(): boolean {
    return this.o.signal.aborted;
  }

  /**
   * GET `url`, recorded as `kind` (or as what the function makes of the answer); undefined once
   * stopped. With `waiting`, a 404 is counted as waiting for the stream instead.
   */
  async get(url: string, kind: RequestKind | ((a: Answer) => RequestKind), waiting = false): Promise<Answer | undefined> {
    const started = performance.now();
    const sentAt = performance.timeOrigin + started;
    let answer: Answer;
    let cache: ReturnType<typeof cacheVerdict>;
    try {
      const signal = AbortSignal.any([this.o.signal, AbortSignal.timeout(this.o.requestTimeoutMs)]);
      const res = await this.o.pool.get(url, signal, typeof kind === 'function' || PLAYLIST_KINDS.has(kind));
      answer = { status: res.status, body: res.body ?? EMPTY, bytes: res.bytes, lastByteAt: epochMs() };
      cache = cacheVerdict((name) => header(res.headers[name]));
    } catch {
      if (this.stopped) return undefined;
      answer = { status: 0, body: EMPTY, bytes: 0, lastByteAt: epochMs() };
    }
    if (this.stopped) return undefined;
    if (waiting && answer.status === 404) {
      this.o.recorder.waiting404++;
      return answer;
    }
    const latencyMs = performance.now() - started;
    const recorded = typeof kind === 'function' ? kind(answer) : kind;
    this.o.recorder.request({ kind: recorded, status: answer.status, latencyMs, bytes: answer.bytes, cache });
    this.o.onAnswer?.({ url, kind: recorded, status: answer.status, sentAt, lastByteAt: answer.lastByteAt, cache });
    return answer;
  }

  /** A playlist, retried until it answers 200; 404s before the viewer's first playlist are waiting, not errors. */
  async playlist(url: string, kind: RequestKind | ((a: Answer) => RequestKind)): Promise<string | undefined> {
    while (!this.stopped) {
      const started = performance.now();
      const answer = await this.get(url, kind, !this.#joined);
      if (answer === undefined) return undefined;
      if (answer.status === 200) {
        if (!this.#joined) this.o.recorder.joined++;
        this.#joined = true;
        return answer.body.toString('utf8');
      }
      await sleep(RETRY_MS - (performance.now() - started), this.o.signal);
    }
    return undefined;
  }
}

/** Runs one viewer until `options.signal` aborts. */
export async function runViewer(options: ViewerOptions): Promise<void> {
  const viewer = new Viewer(options);
  let isMultivariant = true;
  const text = await viewer.playlist(options.url, (a) => {
    isMultivariant = a.status !== 200 || a.body.includes('#EXT-X-STREAM-INF');
    return isMultivariant ? 'multivariant' : 'playlist';
  });
  if (text === undefined) return;
  const { multivariant, uris } = pickRenditions(text, options.url);
  const media = uris.map((uri) => new URL(uri, options.url).href);
  await Promise.all(media.map((url) => new RenditionFollower(viewer, url, multivariant ? undefined : text).run()));
}

const key = (p: PartPosition): string => `${p.msn}.${p.index}`;

/** One rendition's playlist loop and part fetching. */
class RenditionFollower {
  #want: PartPosition | undefined;
  #previous: MediaPlaylist | undefined;
  #mapUri: string | undefined;
  /** Hinted parts already received (by key) → when their last byte came, for the delay once listed. */
  readonly #hinted = new Map<string, number>();

  constructor(
    readonly viewer: Viewer,
    readonly url: string,
    readonly firstText: string | undefined,
  ) {}

  get #recorder(): LoadRecorder {
    return this.viewer.o.recorder;
  }

  async run(): Promise<void> {
    let text = this.firstText ?? (await this.viewer.playlist(this.url, 'playlist'));
    while (text !== undefined && !this.viewer.stopped) {
      const playlist = parseMediaPlaylist(text);
      this.#check(playlist);
      await this.#fetchListed(playlist);
      if (playlist.endList) return;
      text = await this.#blockingReload(playlist);
    }
  }

  /** The blocking reload for the next part with the hinted part beside it; a plain reload after an error answer. */
  async #blockingReload(playlist: MediaPlaylist): Promise<string | undefined> {
    const next = nextPartPosition(playlist);
    const reloadUrl = `${this.url}${this.url.includes('?') ? '&' : '?'}_HLS_msn=${next.msn}&_HLS_part=${next.index}`;
    const hint = playlist.preloadHintUri;
    const wantHint = hint !== undefined && this.#want !== undefined && comparePositions(this.#want, next) === 0;
    const [reload, hinted] = await Promise.all([this.viewer.get(reloadUrl, 'blocking'), wantHint ? this.viewer.get(new URL(hint, this.url).href, 'hinted-part') : undefined]);
    if (hinted?.status === 200) {
      this.#hinted.set(key(next), hinted.lastByteAt);
      if (this.#hinted.size > MAX_PENDING_DELAYS) this.#hinted.delete(this.#hinted.keys().next().value!);
    }
    if (reload === undefined) return undefined;
    if (reload.status === 200) {
      const text = reload.body.toString('utf8');
      const last = lastPartPosition(parseMediaPlaylist(text));
      if (last === undefined || comparePositions(last, next) < 0) this.#recorder.continuity(`${this.url}: blocking reload for ${key(next)} answered with the last part ${last === undefined ? 'none' : key(last)}`);
      return text;
    }
    await sleep(RETRY_MS, this.viewer.o.signal);
    return this.viewer.playlist(this.url, 'playlist');
  }

  /** Media sequence, discontinuity sequence and the last part listed never go back. */
  #check(playlist: MediaPlaylist): void {
    const before = this.#previous;
    this.#previous = playlist;
    if (before === undefined) return;
    const complain = (what: string): void => this.#recorder.continuity(`${this.url}: ${what}`);
    if (playlist.mediaSequence < before.mediaSequence) complain(`EXT-X-MEDIA-SEQUENCE went back from ${before.mediaSequence} to ${playlist.mediaSequence}`);
    if (playlist.discontinuitySequence < before.discontinuitySequence) complain(`EXT-X-DISCONTINUITY-SEQUENCE went back from ${before.discontinuitySequence} to ${playlist.discontinuitySequence}`);
    const [was, now] = [lastPartPosition(before), lastPartPosition(playlist)];
    if (was !== undefined && now !== undefined && comparePositions(now, was) < 0) complain(`the last part listed went back from ${key(was)} to ${key(now)}`);
  }

  /** Every listed part from the viewer's position on, in order; the EXT-X-MAP when it changes. */
  async #fetchListed(playlist: MediaPlaylist): Promise<void> {
    this.#want ??= startPosition(playlist);
    while (this.#want !== undefined && !this.viewer.stopped) {
      const want: PartPosition = this.#want;
      const first = playlist.segments[0];
      const segment = playlist.segments.find((s) => s.msn === want.msn);
      if (segment === undefined) {
        if (first === undefined || want.msn > first.msn) return;
        // Fell out of the window (the playlist moved on past the viewer): a gap unless a discontinuity explains it.
        if (this.#hinted.delete(key(want))) {
          this.#want = { msn: want.msn, index: want.index + 1 };
          continue;
        }
        if (!first.discontinuity && !playlist.segments.some((s) => s.msn > want.msn && s.discontinuity)) this.#recorder.continuity(`${this.url}: part ${key(want)} left the playlist before the viewer got it (first listed ${first.msn})`);
        this.#want = { msn: first.msn, index: 0 };
        continue;
      }
      if (segment.mapUri !== undefined && segment.mapUri !== this.#mapUri) {
        this.#mapUri = segment.mapUri;
        await this.viewer.get(new URL(segment.mapUri, this.url).href, 'init');
      }
      const part = segment.parts[want.index];
      if (part !== undefined) {
        const hintedAt = this.#hinted.get(key(want));
        this.#hinted.delete(key(want));
        const answer = hintedAt === undefined ? await this.viewer.get(new URL(part.uri, this.url).href, 'part') : undefined;
        const lastByteAt = hintedAt ?? (answer?.status === 200 ? answer.lastByteAt : undefined);
        if (lastByteAt !== undefined && part.availableAtMs !== undefined) this.#recorder.partDelay(lastByteAt - part.availableAtMs, hintedAt !== undefined);
        this.#want = { msn: want.msn, index: want.index + 1 };
      } else if (segment.uri === undefined) return;
      else if (segment.parts.length === 0) {
        // Its parts have left the playlist (listed for the last three target durations only): the whole segment.
        await this.viewer.get(new URL(segment.uri, this.url).href, 'segment');
        this.#want = { msn: want.msn + 1, index: 0 };
      } else this.#want = { msn: want.msn + 1, index: 0 };
    }
  }
}

/** Where hls.js starts at the live edge: the last independent part listed (a place to join), else the last segment. */
export function startPosition(playlist: MediaPlaylist): PartPosition | undefined {
  for (let i = playlist.segments.length - 1; i >= 0; i--) {
    const s = playlist.segments[i]!;
    for (let j = s.parts.length - 1; j >= 0; j--) if (s.parts[j]!.independent) return { msn: s.msn, index: j };
  }
  const last = playlist.segments.at(-1);
  return last === undefined ? undefined : { msn: last.msn, index: 0 };
}

/** Resolves after `ms` (at once when ≤ 0) or when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
