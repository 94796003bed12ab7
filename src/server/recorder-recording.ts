import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { peakBitrate, type LiveSegmentEvent, type MeasuredSegment } from '../hls/index.js';
import type { StoredFile } from '../store/index.js';
import { replaceFile, writePieces, writeWholeFile } from './recorder-files.js';
import { WriteQueue } from './recorder-queue.js';
import { RecordingPlaylist, initFileName, recordingMultivariant, segmentUri } from './recorder-playlists.js';
import { RECORDING_INFO_FILE, type RecordingInfo, type RecordingRendition } from './recording-catalog.js';
import { RecordingTicks, writeRecordingMpd } from './recording-mpd.js';
import type { RecordingContext } from './recorder-types.js';

/**
 * One recording on disk (docs/recording.md "Layout"): the packager's files of one stream, as the
 * recorder (recorder.ts) hands them over, written in the order they came through one queue of
 * asynchronous steps. What arrives is decided at once (which file a part goes to, whether a
 * segment's parts are its prefix); the queue only writes. The queue is bounded in bytes: past
 * `maxQueuedBytes` the disk is not keeping up, and the recording fails rather than memory growing
 * (recorder-queue.ts). Its events and what it asks of the stream are in recorder-types.ts.
 */

export type { RecordingContext, RecordingEvent, RenditionSource } from './recorder-types.js';

/** recording.json is rewritten on a segment at most this often: a crash loses at most these seconds of its figures, which the repair recounts anyway. */
export const INFO_INTERVAL_MS = 5000;

/** Segments kept for the peak bit rate's sliding sets (4.1: sets of 0.5 to 1.5 target durations). */
const PEAK_WINDOW = 32;

interface OpenSegment {
  readonly msn: number;
  nextIndex: number;
  /** The pieces appended so far: the segment's own pieces start with these very objects. */
  readonly pieces: Uint8Array[];
  /** A part was missed: the segment's put writes the file whole. */
  broken: boolean;
  handle: FileHandle | undefined;
}

interface RenditionState {
  readonly name: string;
  description: Omit<RecordingRendition, 'bandwidth'>;
  readonly inits: Set<number>;
  open: OpenSegment | undefined;
  /** The packager's word on each segment (its 'segment' event comes before its file). */
  readonly meta: Map<number, LiveSegmentEvent>;
  /** Segment files written and synced whose event has not come yet (byte length). */
  readonly written: Map<number, number>;
  readonly playlist: RecordingPlaylist;
  readonly recent: MeasuredSegment[];
  peakBitsPerSecond: number;
  /** The durations of the segment events taken, listed or not yet. */
  seenSeconds: number;
  /** The number of the last segment put (-1 before one). */
  lastSegmentMsn: number;
}

type Step = () => Promise<void>;

export class Recording {
  readonly app: string;
  readonly streamKey: string;
  readonly startedAtMs: number;
  /** Files of segments numbered below this are not this recording's (it began at a cut). */
  readonly fromMsn: number;
  /** Set at a max-duration cut: segments after this one go to the next recording. */
  untilMsn = Number.POSITIVE_INFINITY;
  readonly #dir: string;
  readonly #context: RecordingContext;
  #id: string;
  #accepting = true;
  #failure: string | undefined;
  readonly #queue: WriteQueue;
  readonly #renditions = new Map<string, RenditionState>();
  #bytes = 0;
  #infoWrittenMs = Number.NEGATIVE_INFINITY;
  #multivariant: string | undefined;
  #finished: Promise<void> | undefined;
  readonly #ticks = new RecordingTicks();

  constructor(dir: string, id: string, stream: { app: string; streamKey: string; startedAtMs: number; fromMsn?: number }, context: RecordingContext) {
    this.#dir = dir;
    this.#id = id;
    this.app = stream.app;
    this.streamKey = stream.streamKey;
    this.startedAtMs = stream.startedAtMs;
    this.fromMsn = stream.fromMsn ?? 0;
    this.#context = context;
    this.#queue = new WriteQueue(context.maxQueuedBytes);
    // Run even after an early failure: the closing step writes into this folder.
    this.#enqueue(
      0,
      async () => {
        await this.#claimFolder();
        await replaceFile(path.join(this.folder, RECORDING_INFO_FILE), JSON.stringify(this.#info('recording', null), null, 2), true);
        if (this.#failure === undefined) this.#context.emit({ type: 'started', id: this.#id, app: this.app, streamKey: this.streamKey, startedAtMs: this.startedAtMs });
      },
      true,
    );
  }

  /** The folder relative to the recordings dir ('/'-separated): the template's, with `-<n>` added if it was taken. */
  get id(): string {
    return this.#id;
  }

  get folder(): string {
    return path.join(this.#dir, ...this.#id.split('/'));
  }

  /** Still taking files (not finished, not failed). */
  get active(): boolean {
    return this.#accepting;
  }

  get durationSeconds(): number {
    let longest = 0;
    for (const r of this.#renditions.values()) longest = Math.max(longest, r.playlist.durationSeconds);
    return longest;
  }

  /** How long the recording is by the segment events it took (the max-duration cut's measure). */
  get seenSeconds(): number {
    let longest = 0;
    for (const r of this.#renditions.values()) longest = Math.max(longest, r.seenSeconds);
    return longest;
  }

  /**
   * Every rendition's segment `msn` was put: after a cut, all of this recording's files came (the
   * renditions are cut one after another, a track's segment when its own next sample arrives).
   */
  hasSegment(msn: number): boolean {
    if (this.#renditions.size === 0) return false;
    for (const r of this.#renditions.values()) if (r.lastSegmentMsn < msn) return false;
    return true;
  }

  /** Resolves when the queue is empty: every step queued so far, and the ones they queued, have run. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /** An init segment was put: written unless this generation already is. */
  init(rendition: string, generation: number, file: StoredFile): void {
    if (!this.#accepting) return;
    const state = this.#rendition(rendition);
    state.description = this.#context.source.describe(rendition) ?? state.description;
    this.#writeInit(state, generation, file);
  }

  /** An LL-HLS part was put: the first of a segment opens its file, the next ones are appended. */
  part(rendition: string, msn: number, index: number, file: StoredFile): void {
    if (!this.#accepting || msn < this.fromMsn || msn > this.untilMsn) return;
    const state = this.#rendition(rendition);
    const current = state.open;
    if (index === 0) {
      if (current !== undefined) this.#abandon(state, current);
      const segment: OpenSegment = { msn, nextIndex: 1, pieces: [...file.pieces], broken: false, handle: undefined };
      state.open = segment;
      this.#enqueue(file.byteLength, async () => {
        segment.handle = await open(this.#segmentPath(state, msn), 'w');
        await writePieces(segment.handle, file.pieces);
      });
    } else if (current?.msn === msn && !current.broken && current.nextIndex === index) {
      current.nextIndex += 1;
      for (const piece of file.pieces) current.pieces.push(piece);
      this.#enqueue(file.byteLength, async () => {
        if (current.handle !== undefined) await writePieces(current.handle, file.pieces);
      });
    } else if (current?.msn === msn) current.broken = true;
  }

  /** A segment was put: its file is made equal to it (the rest after its parts, or whole), synced and closed. */
  segment(rendition: string, msn: number, file: StoredFile): void {
    if (!this.#accepting || msn < this.fromMsn || msn > this.untilMsn) return;
    const state = this.#rendition(rendition);
    state.lastSegmentMsn = Math.max(state.lastSegmentMsn, msn);
    this.#ticks.segment(rendition, msn, file.pieces);
    const current = state.open;
    state.open = undefined;
    if (current !== undefined && current.msn === msn && !current.broken && startsWith(file.pieces, current.pieces)) {
      const rest = file.pieces.slice(current.pieces.length);
      let restBytes = 0;
      for (const piece of rest) restBytes += piece.byteLength;
      this.#enqueue(restBytes, async () => {
        if (current.handle === undefined) return;
        await writePieces(current.handle, rest);
        await current.handle.datasync();
        await current.handle.close();
        this.#written(state, msn, file.byteLength);
      });
      return;
    }
    if (current !== undefined && current.msn !== msn) this.#abandon(state, current);
    this.#enqueue(file.byteLength, async () => {
      await current?.handle?.close().catch(() => undefined);
      await writeWholeFile(this.#segmentPath(state, msn), file.pieces, true);
      this.#written(state, msn, file.byteLength);
    });
  }

  /** The packager's event of a segment: with its file written, the segment is listed. */
  segmentEvent(event: LiveSegmentEvent): void {
    if (!this.#accepting || event.msn < this.fromMsn || event.msn > this.untilMsn) return;
    const state = this.#rendition(event.track);
    state.seenSeconds += event.durationSeconds;
    const bytes = state.written.get(event.msn);
    if (bytes === undefined) {
      state.meta.set(event.msn, event);
      return;
    }
    state.written.delete(event.msn);
    this.#complete(state, event, bytes);
  }

  /**
   * Ends the recording: the segment being written (not listed) is removed, the playlists become
   * VOD with EXT-X-ENDLIST, recording.json says 'complete'. Resolves when everything is written.
   */
  finish(): Promise<void> {
    if (this.#finished !== undefined) return this.#finished;
    this.#accepting = false;
    this.#finished = this.#enqueue(0, () => this.#close(), true).then(() => this.#queue.tail);
    return this.#finished;
  }

  /** Stops with `reason` (a 'failed' event); what was written is closed as a recording all the same, if the disk lets it. */
  fail(reason: string): Promise<void> {
    if (this.#finished === undefined && this.#failure === undefined) {
      this.#failure = reason;
      this.#context.emit({ type: 'failed', id: this.#id, app: this.app, streamKey: this.streamKey, reason });
    }
    return this.finish();
  }

  #rendition(name: string): RenditionState {
    let state = this.#renditions.get(name);
    if (state !== undefined) return state;
    const description: Omit<RecordingRendition, 'bandwidth'> = this.#context.source.describe(name) ?? { name, kind: name.startsWith('audio') ? 'audio' : 'video', codecs: '' };
    state = { name, description, inits: new Set(), open: undefined, meta: new Map(), written: new Map(), playlist: new RecordingPlaylist(this.#context.minTargetSeconds), recent: [], peakBitsPerSecond: 0, seenSeconds: 0, lastSegmentMsn: -1 };
    this.#renditions.set(name, state);
    const folder = (): string => path.join(this.folder, name);
    this.#enqueue(0, async () => void (await mkdir(folder(), { recursive: true })));
    // A recording that starts after the stream did (a cut, the API, a comeback with the same tracks) gets the init in force.
    const init = this.#context.source.init(name);
    if (init !== undefined) this.#writeInit(state, init.generation, init.file);
    return state;
  }

  #writeInit(state: RenditionState, generation: number, file: StoredFile): void {
    if (state.inits.has(generation)) return;
    state.inits.add(generation);
    this.#ticks.init(state.name, generation, file.pieces);
    this.#enqueue(file.byteLength, async () => {
      await writeWholeFile(path.join(this.folder, state.name, initFileName(generation)), file.pieces, true);
      this.#bytes += file.byteLength;
    });
  }

  #segmentPath(state: RenditionState, msn: number): string {
    return path.join(this.folder, state.name, segmentUri(msn));
  }

  /** A segment file that never got its segment put (an empty segment the packager dropped): closed and removed. */
  #abandon(state: RenditionState, current: OpenSegment): void {
    this.#enqueue(0, async () => {
      await current.handle?.close().catch(() => undefined);
      await rm(this.#segmentPath(state, current.msn), { force: true });
    });
  }

  #written(state: RenditionState, msn: number, bytes: number): void {
    const event = state.meta.get(msn);
    if (event === undefined) {
      state.written.set(msn, bytes);
      return;
    }
    state.meta.delete(msn);
    this.#complete(state, event, bytes);
  }

  /** The segment is on disk and known: listed in the EVENT playlist, counted, told. */
  #complete(state: RenditionState, event: LiveSegmentEvent, bytes: number): void {
    if (!state.inits.has(event.generation)) {
      const init = this.#context.source.init(state.name, event.generation);
      if (init !== undefined) this.#writeInit(state, init.generation, init.file);
    }
    state.playlist.add({ msn: event.msn, durationSeconds: event.durationSeconds, programDateTimeMs: event.programDateTimeMs, generation: event.generation, discontinuity: event.discontinuity, byteLength: bytes });
    this.#bytes += bytes;
    state.recent.push({ byteLength: bytes, durationSeconds: event.durationSeconds });
    if (state.recent.length > PEAK_WINDOW) state.recent.shift();
    state.peakBitsPerSecond = Math.max(state.peakBitsPerSecond, peakBitrate(state.recent, Math.max(1, Math.ceil(this.#context.minTargetSeconds))));
    const text = state.playlist.render(false);
    const nowMs = this.#context.now();
    // A rendition's first segment is told at once: a crash soon after still leaves its codecs for the repair.
    const infoDue = state.playlist.segments.length === 1 || nowMs - this.#infoWrittenMs >= INFO_INTERVAL_MS;
    if (infoDue) this.#infoWrittenMs = nowMs;
    this.#enqueue(text.length, async () => {
      await replaceFile(path.join(this.folder, state.name, 'index.m3u8'), text);
      if (infoDue) await this.#writeSummary('recording', null);
    });
    this.#context.emit({ type: 'segment_completed', id: this.#id, app: this.app, streamKey: this.streamKey, rendition: state.name, msn: event.msn, durationSeconds: event.durationSeconds, byteLength: bytes });
  }

  /** The last step: closes the open files, ends the playlists, writes manifest.mpd, says 'complete'. */
  async #close(): Promise<void> {
    for (const state of this.#renditions.values()) {
      const current = state.open;
      state.open = undefined;
      if (current !== undefined) {
        await current.handle?.close().catch(() => undefined);
        await rm(this.#segmentPath(state, current.msn), { force: true });
      }
      // Written without the packager's word on them: their duration is unknown, so they go.
      for (const msn of state.written.keys()) await rm(this.#segmentPath(state, msn), { force: true });
      state.written.clear();
      if (state.playlist.segments.length > 0) await replaceFile(path.join(this.folder, state.name, 'index.m3u8'), state.playlist.render(true));
    }
    const endedAtMs = this.#endedAtMs();
    // The static MPD before recording.json says 'complete' and before 'completed' (an upload of the folder starts on it).
    const listed = [...this.#renditions.values()].filter((r) => r.playlist.segments.length > 0);
    await writeRecordingMpd(this.folder, listed.map((r) => ({ rendition: { ...r.description, bandwidth: r.peakBitsPerSecond }, segments: r.playlist.segments, ticks: (msn: number) => this.#ticks.get(r.name, msn) })), endedAtMs);
    await this.#writeSummary('complete', endedAtMs, true);
    if (this.#failure === undefined) {
      this.#context.emit({ type: 'completed', id: this.#id, app: this.app, streamKey: this.streamKey, startedAtMs: this.startedAtMs, endedAtMs, durationSeconds: roundMs(this.durationSeconds), bytes: this.#bytes });
    }
  }

  /** The multivariant playlist when its text changed, then recording.json. */
  async #writeSummary(state: RecordingInfo['state'], endedAtMs: number | null, sync = false): Promise<void> {
    const info = this.#info(state, endedAtMs);
    const multivariant = recordingMultivariant(info.renditions);
    if (multivariant !== undefined && multivariant !== this.#multivariant) {
      await replaceFile(path.join(this.folder, 'index.m3u8'), multivariant);
      this.#multivariant = multivariant;
    }
    await replaceFile(path.join(this.folder, RECORDING_INFO_FILE), JSON.stringify(info, null, 2), sync);
  }

  #info(state: RecordingInfo['state'], endedAtMs: number | null): RecordingInfo {
    const renditions = [...this.#renditions.values()].filter((r) => r.playlist.segments.length > 0).map((r) => ({ ...r.description, bandwidth: r.peakBitsPerSecond }));
    return { version: 1, id: this.#id, app: this.app, streamKey: this.streamKey, startedAtMs: this.startedAtMs, endedAtMs, state, durationSeconds: roundMs(this.durationSeconds), bytes: this.#bytes, renditions };
  }

  /** When the last segment listed ends, by its PROGRAM-DATE-TIME; the clock's now without one. */
  #endedAtMs(): number {
    let end = 0;
    for (const r of this.#renditions.values()) {
      const last = r.playlist.segments[r.playlist.segments.length - 1];
      if (last !== undefined) end = Math.max(end, Math.round(last.programDateTimeMs + last.durationSeconds * 1000));
    }
    return end > 0 ? end : this.#context.now();
  }

  /**
   * The template's folder, or `<folder>-<n>` when another recording has it (a template without
   * seconds, a restart within one). The first step: every path is taken from the id when its step runs.
   */
  async #claimFolder(): Promise<void> {
    const base = this.#id;
    await mkdir(path.dirname(this.folder), { recursive: true });
    for (let n = 1; ; n++) {
      try {
        await mkdir(this.folder);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || n > 1000) throw error;
        this.#id = `${base}-${n}`;
      }
    }
  }

  /**
   * Queues a step (`bytes`: what it holds until written, counted against maxQueuedBytes). After a
   * failure the remaining media steps are skipped; the closing step (`always`) still runs.
   */
  #enqueue(bytes: number, step: Step, always = false): Promise<void> {
    if (!always && !this.#accepting && this.#finished !== undefined) return this.#queue.tail;
    const queued = this.#queue.push(bytes, step, { always, skip: () => this.#failure !== undefined, failed: (error) => void this.fail(`a write failed: ${(error as Error).message}`) });
    if (!queued && this.#failure === undefined) void this.fail(`the disk is not keeping up: more than ${this.#context.maxQueuedBytes} bytes waiting to be written`);
    return this.#queue.tail;
  }
}

/** Whether `whole` begins with the very piece objects of `prefix` (an LL-HLS segment shares its parts' pieces). */
function startsWith(whole: readonly Uint8Array[], prefix: readonly Uint8Array[]): boolean {
  if (prefix.length > whole.length) return false;
  for (let i = 0; i < prefix.length; i++) if (whole[i] !== prefix[i]) return false;
  return true;
}

function roundMs(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
