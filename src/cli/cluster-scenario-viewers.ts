import { setMaxListeners } from 'node:events';
import { HttpPool, type HttpAnswer } from './loadgen-http.js';
import { comparePositions, lastPartPosition, parseMediaPlaylist, type PartPosition } from './loadgen-playlist.js';
import { LoadRecorder, type LoadSummary } from './loadgen-stats.js';
import { runViewer, sleep } from './loadgen-viewer.js';

/**
 * The fault scenarios' viewers (cluster-scenarios.ts): the load generator's virtual LL-HLS viewers
 * (loadgen-viewer.ts: blocking reloads with the preload-hinted part, like hls.js), a few through
 * each edge, each on an HTTP pool of its own that watches every answer: its status (0 for a network
 * error or a timeout) and time, and for every media playlist answered, per viewer and rendition,
 * EXT-X-MEDIA-SEQUENCE, the segments with an EXT-X-DISCONTINUITY, each media sequence number's
 * segment (its PROGRAM-DATE-TIME: a number reused for another segment shows as another time), and
 * when a newer part than any before was first listed. Object names are never read: what the
 * scenarios check comes from the playlists.
 */

export interface ViewerRequest {
  readonly atMs: number;
  readonly viewer: string;
  readonly edge: string;
  readonly playlist: boolean;
  readonly url: string;
  /** 0: a network error or a timeout. */
  readonly status: number;
}

export interface PartSeen {
  readonly msn: number;
  readonly index: number;
  readonly atMs: number;
}

/** One viewer's view of one rendition (its media playlist's path). */
export interface ViewerTrack {
  readonly viewer: string;
  readonly edge: string;
  readonly rendition: string;
  answers: number;
  mediaSequence: number | undefined;
  /** Each time EXT-X-MEDIA-SEQUENCE went back: "from → to at t". */
  readonly mediaSequenceBack: string[];
  /** The live edge each time it moved forward, in order. */
  readonly newest: PartSeen[];
  /** Media sequence number → its segment's identity (PROGRAM-DATE-TIME, else the first URI seen). */
  readonly segments: Map<number, string>;
  /** A number listed for two different segments: "msn: a then b". */
  readonly reused: string[];
  /** Segments listed with an EXT-X-DISCONTINUITY → when first seen. */
  readonly discontinuities: Map<number, number>;
  /** An answer with EXT-X-ENDLIST (the viewer stops there, as a player does). */
  endListAtMs: number | undefined;
}

export interface ViewerGroupOptions {
  /** Edge name → the stream's multivariant playlist through it. */
  readonly edges: Readonly<Record<string, string>>;
  readonly perEdge: number;
  /** Per request; default 15 s (above an origin's 6 s blocking hold and an edge's 8 s). */
  readonly requestTimeoutMs?: number;
}

const PDT = /#EXT-X-PROGRAM-DATE-TIME:(\S+)/;

/** An HttpPool that reports every answer (or failure) to `observe` before the viewer sees it. */
class ObservingPool extends HttpPool {
  constructor(
    readonly stopSignal: AbortSignal,
    readonly observe: (url: string, answer: HttpAnswer | undefined) => void,
  ) {
    super();
  }

  override async get(url: string, signal: AbortSignal, keepBody: boolean): Promise<HttpAnswer> {
    try {
      const answer = await super.get(url, signal, keepBody);
      if (!this.stopSignal.aborted) this.observe(url, answer);
      return answer;
    } catch (error) {
      if (!this.stopSignal.aborted) this.observe(url, undefined);
      throw error;
    }
  }
}

export class ViewerGroup {
  readonly requests: ViewerRequest[] = [];
  readonly tracks = new Map<string, ViewerTrack>();
  readonly recorder = new LoadRecorder();
  readonly startedAtMs = Date.now();
  readonly #stop = new AbortController();
  readonly #pools: HttpPool[] = [];
  readonly #running: Promise<void>[] = [];

  constructor(readonly options: ViewerGroupOptions) {
    setMaxListeners(0, this.#stop.signal);
    for (const [edge, url] of Object.entries(options.edges)) {
      for (let i = 0; i < options.perEdge; i++) {
        const viewer = `${edge}-${i}`;
        const pool = new ObservingPool(this.#stop.signal, (u, answer) => this.#observe(viewer, edge, u, answer));
        this.#pools.push(pool);
        // Spread over a second, as independent players start.
        const run = sleep((1000 * i) / options.perEdge, this.#stop.signal).then(() =>
          this.#stop.signal.aborted ? undefined : runViewer({ url, recorder: this.recorder, pool, signal: this.#stop.signal, requestTimeoutMs: options.requestTimeoutMs ?? 15_000 }),
        );
        this.#running.push(run.catch(() => undefined));
      }
    }
  }

  /** Stops every viewer and closes their connections. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.all(this.#running);
    for (const pool of this.#pools) pool.destroy();
  }

  /** The load generator's summary of the same requests (latencies, part delays, its continuity checks). */
  summary(): LoadSummary {
    return this.recorder.summary({ url: Object.values(this.options.edges).join(' '), durationSeconds: Math.round((Date.now() - this.startedAtMs) / 100) / 10, viewers: Object.keys(this.options.edges).length * this.options.perEdge });
  }

  /** Every viewer has listed parts of every rendition any viewer follows (video and audio). */
  everyViewerPlaying(): boolean {
    const renditions = new Set([...this.tracks.values()].map((t) => t.rendition)).size;
    const viewers = new Map<string, number>();
    for (const t of this.tracks.values()) if (t.newest.length > 0) viewers.set(t.viewer, (viewers.get(t.viewer) ?? 0) + 1);
    return viewers.size === Object.keys(this.options.edges).length * this.options.perEdge && [...viewers.values()].every((n) => n >= renditions);
  }

  /** Per rendition, the newest part any viewer has listed. */
  liveEdges(): Map<string, PartPosition> {
    const out = new Map<string, PartPosition>();
    for (const t of this.tracks.values()) {
      const last = t.newest.at(-1);
      const known = out.get(t.rendition);
      if (last !== undefined && (known === undefined || comparePositions(last, known) > 0)) out.set(t.rendition, { msn: last.msn, index: last.index });
    }
    return out;
  }

  /**
   * Per track: when it first listed a part of a segment numbered above `afterMsn` (its rendition's
   * entry), at or after `sinceMs`; undefined when it has not (yet).
   */
  firstNewParts(afterMsn: ReadonlyMap<string, number>, sinceMs: number): Array<{ track: ViewerTrack; atMs: number | undefined }> {
    return [...this.tracks.values()].map((track) => {
      const limit = afterMsn.get(track.rendition) ?? Number.POSITIVE_INFINITY;
      return { track, atMs: track.newest.find((p) => p.msn > limit && p.atMs >= sinceMs)?.atMs };
    });
  }

  /** The requests from `fromMs` to `toMs` that failed (status ≥ 400 or a network error), optionally playlists only. */
  errors(fromMs: number, toMs: number, playlistsOnly = false): ViewerRequest[] {
    return this.requests.filter((r) => r.atMs >= fromMs && r.atMs <= toMs && (r.status === 0 || r.status >= 400) && (!playlistsOnly || r.playlist));
  }

  #observe(viewer: string, edge: string, url: string, answer: HttpAnswer | undefined): void {
    const atMs = Date.now();
    const parsed = new URL(url);
    const playlist = parsed.pathname.endsWith('.m3u8');
    const status = answer?.status ?? 0;
    this.requests.push({ atMs, viewer, edge, playlist, url: parsed.pathname + parsed.search, status });
    if (!playlist || status !== 200 || answer?.body === undefined) return;
    const text = answer.body.toString('utf8');
    if (text.includes('#EXT-X-STREAM-INF')) return;
    const id = `${viewer} ${parsed.pathname}`;
    let track = this.tracks.get(id);
    if (track === undefined) {
      track = { viewer, edge, rendition: parsed.pathname, answers: 0, mediaSequence: undefined, mediaSequenceBack: [], newest: [], segments: new Map(), reused: [], discontinuities: new Map(), endListAtMs: undefined };
      this.tracks.set(id, track);
    }
    const media = parseMediaPlaylist(text);
    track.answers++;
    if (track.mediaSequence !== undefined && media.mediaSequence < track.mediaSequence) track.mediaSequenceBack.push(`${track.mediaSequence} → ${media.mediaSequence} at ${new Date(atMs).toISOString()}`);
    track.mediaSequence = Math.max(track.mediaSequence ?? media.mediaSequence, media.mediaSequence);
    if (media.endList) track.endListAtMs ??= atMs;
    // A segment's identity: its own PROGRAM-DATE-TIME tag (tidecast writes one per segment), else its first URI.
    const identities = segmentIdentities(text);
    for (const segment of media.segments) {
      if (segment.discontinuity && !track.discontinuities.has(segment.msn)) track.discontinuities.set(segment.msn, atMs);
      const identity = identities.get(segment.msn - media.mediaSequence) ?? segment.parts[0]?.uri ?? segment.uri;
      if (identity === undefined) continue;
      const known = track.segments.get(segment.msn);
      if (known === undefined) track.segments.set(segment.msn, identity);
      else if (known !== identity && track.reused.length < 20) track.reused.push(`${segment.msn}: ${known} then ${identity}`);
    }
    const last = lastPartPosition(media);
    const before = track.newest.at(-1);
    if (last !== undefined && (before === undefined || comparePositions(last, before) > 0)) track.newest.push({ msn: last.msn, index: last.index, atMs });
  }
}

/** Segment index in the playlist (0 = the EXT-X-MEDIA-SEQUENCE one) → its own PROGRAM-DATE-TIME tag's text. */
function segmentIdentities(text: string): Map<number, string> {
  const out = new Map<number, string>();
  let index = 0;
  let pdt: string | undefined;
  let parts = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = PDT.exec(line);
    if (m !== null) pdt = m[1];
    else if (line.startsWith('#EXT-X-PART:')) parts = true;
    else if (line !== '' && !line.startsWith('#')) {
      if (pdt !== undefined) out.set(index, pdt);
      index++;
      pdt = undefined;
      parts = false;
    }
  }
  // The segment being written: its parts are listed, its URI not yet.
  if (parts && pdt !== undefined) out.set(index, pdt);
  return out;
}
