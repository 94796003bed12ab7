import { epochPrefix, renderMediaPlaylist, type LiveSegmentEvent, type MediaPlaylist } from '../hls/index.js';
import type { Sample, Track } from '../media/index.js';
import type { SegmentStore } from '../store/index.js';
import { TsMuxer } from '../ts/index.js';

/**
 * One stream's HLS over MPEG-TS for legacy players and set-top boxes (docs/hls.md "MPEG-TS"):
 * `ts.m3u8` (plain HLS, version 3) and `ts/<msn>.ts`, muxed by our TsMuxer from the very samples
 * of each CMAF segment, so TS segments start and end where the fMP4 ones do and carry the same
 * numbers (in cluster mode the same `e<epoch>-` prefix too: `ts/e7-12.ts`, hls/live-names.ts).
 * It runs only while someone reads it: the first request of `ts.m3u8` starts it (and
 * waits for its first segment), and once nobody has asked for the playlist for
 * TS_IDLE_SEGMENTS segment targets it stops and its files go. One program: the first video track
 * (the ladder's top rung) and the first audio track.
 */

export const TS_CONTENT_TYPE = 'video/mp2t';
/** The output stops when its playlist was not read for this many segment targets (players reload it every target). */
export const TS_IDLE_SEGMENTS = 3;

export interface TsOutputOptions {
  /** The stream's own store (paths relative to `<app>/<key>/`). */
  readonly store: SegmentStore;
  readonly segmentTargetSeconds: number;
  /** Segments listed, and kept after they leave the list, as the HLS playlists do. */
  readonly windowSegments: number;
  readonly keepAfterWindowSegments: number;
  /** Monotonic ms. */
  readonly now: () => number;
  /** The tracks packaged now (the packager's renditions not removed). */
  readonly tracks: () => readonly Track[];
  /** A store write or a mux failed. */
  readonly error: (error: unknown) => void;
}

interface TsSegment {
  readonly msn: number;
  readonly uri: string;
  readonly durationSeconds: number;
  readonly programDateTimeMs: number;
  readonly discontinuity: boolean;
}

interface Collected {
  readonly event: LiveSegmentEvent;
  readonly samples: () => readonly Sample[];
  readonly track: Track;
}

export class TsOutput {
  readonly #options: TsOutputOptions;
  #muxer: TsMuxer | undefined;
  #muxerKey = '';
  #generation = -1;
  /** Segments waiting for the other track's segment of the same number. */
  readonly #pending = new Map<number, Map<number, Collected>>();
  #segments: TsSegment[] = [];
  #retired: TsSegment[] = [];
  #discontinuitySequence = 0;
  #targetDurationSeconds: number;
  #ended = false;
  #stopped = false;
  #lastReadMs: number;
  #waiters: Array<() => void> = [];
  /** TS segments muxed and their bytes: 0 for a stream nobody reads. */
  readonly counters = { segments: 0, bytes: 0 };

  constructor(options: TsOutputOptions) {
    this.#options = options;
    this.#targetDurationSeconds = Math.ceil(options.segmentTargetSeconds);
    this.#lastReadMs = options.now();
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** The two tracks of the TS program: the first video and the first audio of what is packaged. */
  #program(): Track[] {
    const tracks = this.#options.tracks();
    return [tracks.find((t) => t.kind === 'video'), tracks.find((t) => t.kind === 'audio')].filter((t): t is Track => t !== undefined);
  }

  /** A CMAF segment was published (the packager's onSegmentSamples). */
  segment(event: LiveSegmentEvent, samples: () => readonly Sample[], track: Track): void {
    if (this.#stopped) return;
    if (this.#options.now() - this.#lastReadMs > TS_IDLE_SEGMENTS * this.#options.segmentTargetSeconds * 1000) {
      void this.stop();
      return;
    }
    const program = this.#program();
    if (!program.some((t) => t.id === track.id)) return;
    let bucket = this.#pending.get(event.msn);
    if (bucket === undefined) this.#pending.set(event.msn, (bucket = new Map()));
    bucket.set(track.id, { event, samples, track });
    this.#flush(program, false);
  }

  /** Muxes every waiting number that every program track has reached (or all of them, at the end). */
  #flush(program: readonly Track[], all: boolean): void {
    for (const msn of [...this.#pending.keys()].sort((a, b) => a - b)) {
      const bucket = this.#pending.get(msn)!;
      const complete = all || program.every((t) => bucket.has(t.id) || [...this.#pending.entries()].some(([n, b]) => n > msn && b.has(t.id)));
      if (!complete) return;
      this.#pending.delete(msn);
      try {
        this.#mux(msn, [...bucket.values()]);
      } catch (error) {
        this.#options.error(error);
      }
    }
  }

  #mux(msn: number, collected: readonly Collected[]): void {
    const tracks = collected.map((c) => c.track).sort((a, b) => a.id - b.id);
    const generation = Math.max(...collected.map((c) => c.event.generation));
    const key = tracks.map((t) => `${t.id}:${t.codecString}`).join(',');
    const discontinuity = collected.some((c) => c.event.discontinuity) || (this.#muxer !== undefined && (generation !== this.#generation || key !== this.#muxerKey));
    if (this.#muxer === undefined || generation !== this.#generation || key !== this.#muxerKey) {
      this.#muxer = new TsMuxer(tracks);
      this.#muxerKey = key;
      this.#generation = generation;
    }
    const input = new Map(collected.map((c) => [c.track.id, c.samples()] as const));
    const bytes = this.#muxer.segment(input, { discontinuity });
    const lead = collected.find((c) => c.track.kind === 'video') ?? collected[0]!;
    const segment: TsSegment = { msn, uri: `ts/${epochPrefix(lead.event.epoch)}${msn}.ts`, durationSeconds: lead.event.durationSeconds, programDateTimeMs: lead.event.programDateTimeMs, discontinuity: discontinuity && this.#segments.length + this.#retired.length > 0 };
    this.counters.segments += 1;
    this.counters.bytes += bytes.byteLength;
    this.#put(segment.uri, bytes);
    // Version 3: the target is at least every EXTINF, unrounded; raised (once, clients absorb it) by a longer GOP.
    this.#targetDurationSeconds = Math.max(this.#targetDurationSeconds, Math.ceil(segment.durationSeconds));
    this.#segments.push(segment);
    while (this.#segments.length > this.#options.windowSegments) {
      const gone = this.#segments.shift()!;
      if (gone.discontinuity) this.#discontinuitySequence += 1;
      this.#retired.push(gone);
    }
    while (this.#retired.length > this.#options.keepAfterWindowSegments) this.#delete(this.#retired.shift()!.uri);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  #put(path: string, bytes: Uint8Array): void {
    try {
      const done = this.#options.store.put(path, { pieces: [bytes], byteLength: bytes.byteLength, contentType: TS_CONTENT_TYPE });
      if (done instanceof Promise) done.catch(this.#options.error);
    } catch (error) {
      this.#options.error(error);
    }
  }

  #delete(path: string): void {
    try {
      const done = this.#options.store.delete(path);
      if (done instanceof Promise) done.catch(this.#options.error);
    } catch (error) {
      this.#options.error(error);
    }
  }

  /** The publisher left for good: what is waiting is muxed and the playlist ends. */
  end(): void {
    if (this.#stopped) return;
    this.#flush(this.#program(), true);
    this.#ended = true;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** The playlist now (a read: keeps the output running), or undefined once stopped or while it has no segment. */
  text(): string | undefined {
    this.#lastReadMs = this.#options.now();
    if (this.#stopped || this.#segments.length === 0) return undefined;
    const playlist: MediaPlaylist = {
      version: 3,
      legacyTargetDuration: true,
      targetDurationSeconds: this.#targetDurationSeconds,
      mediaSequence: this.#segments[0]!.msn,
      discontinuitySequence: this.#discontinuitySequence,
      segments: this.#segments.map((s) => ({ uri: s.uri, durationSeconds: s.durationSeconds, programDateTimeMs: s.programDateTimeMs, ...(s.discontinuity ? { discontinuity: true } : {}) })),
      endList: this.#ended,
    };
    return renderMediaPlaylist(playlist);
  }

  /** The playlist once it has a segment (waiting at most `timeoutMs`), or undefined. */
  async playlist(timeoutMs: number): Promise<string | undefined> {
    const now = this.text();
    if (now !== undefined || this.#stopped || this.#ended) return now;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.text();
  }

  /** Nobody reads it: no more muxing, and its files go. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#pending.clear();
    this.#muxer = undefined;
    for (const wake of this.#waiters.splice(0)) wake();
    for (const s of [...this.#retired, ...this.#segments]) this.#delete(s.uri);
    this.#segments = [];
    this.#retired = [];
  }
}

/** How long the first `ts.m3u8` request waits for the first TS segment: the CMAF segment being written must close first. */
export const TS_FIRST_SEGMENT_WAIT_SECONDS = 2.5;

/** The `ts.m3u8` route's view of the server: the stream's egress starts its TS output and answers. */
export function tsPlaylists(
  hub: { stream(app: string, key: string): object | undefined },
  egress: ReadonlyMap<object, { tsPlaylist(timeoutMs: number): Promise<string | undefined> }>,
  segmentTargetSeconds: number,
): { playlist(app: string, key: string): Promise<string | undefined> } {
  return {
    playlist(app, key) {
      const stream = hub.stream(app, key);
      const out = stream === undefined ? undefined : egress.get(stream);
      return out === undefined ? Promise.resolve(undefined) : out.tsPlaylist(Math.max(TS_FIRST_SEGMENT_WAIT_SECONDS, 1.25 * segmentTargetSeconds) * 1000);
    },
  };
}
