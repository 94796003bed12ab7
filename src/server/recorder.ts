import { readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { parseLiveObjectName, type LiveSegmentEvent } from '../hls/index.js';
import type { StoredFile } from '../store/index.js';
import { expandTemplate, resolveRecordOptions, type RecordOptions, type ResolvedRecordOptions } from './recorder-options.js';
import { Recording, type RecordingEvent } from './recorder-recording.js';
import { repairRecordings } from './recorder-repair.js';
import { recordingFolder, scanRecordings, type RecordingRendition } from './recording-catalog.js';
import type { StoreTap } from './store-taps.js';

/**
 * The recorder (docs/recording.md): a store tap that keeps the packager's own CMAF files of the
 * streams it records, one folder per recording. Which streams: the `record` option's choice at
 * each publish, a publish allowed with `record: true`, or the control API's start. A recording
 * ends when its publisher leaves, when the API stops it, or at `maxDurationSeconds`, cut at a
 * segment boundary with the next recording going on from the next segment. It never holds the
 * live stream up: files go through each recording's bounded queue (recorder-recording.ts), and a
 * full disk or a slow one stops the recording, never the stream.
 *
 * At start it repairs the recordings a crash left open (recorder-repair.ts) and deletes the ones
 * past `deleteAfterSeconds`; both then run again every RETENTION_CHECK_MS and DISK_CHECK_MS.
 */

/** What the recorder asks of the server around it (recording-wiring.ts). */
export interface RecorderHost {
  readonly now: () => number;
  readonly emit: (event: RecordingEvent) => void;
  /** A live rendition's codecs, sizes and rates, by its folder name. */
  readonly describe: (app: string, key: string, rendition: string) => Omit<RecordingRendition, 'bandwidth'> | undefined;
  readonly isLive: (app: string, key: string) => boolean;
  /** Resolves once the stream's packager has handed its last files over (after its publisher left). */
  readonly settled: (app: string, key: string) => Promise<void>;
  /** The live target duration (recordings' EVENT playlists keep it). */
  readonly targetDurationSeconds: number;
}

/** 60 s: retention is counted in hours or days; a minute late is nothing, and a scan per minute is cheap. */
export const RETENTION_CHECK_MS = 60_000;
/** 2 s: about one segment, so a filling disk stops recording within a segment or two of the floor. */
export const DISK_CHECK_MS = 2000;
/** Init generations kept per rendition: a recording that starts late writes the one in force (and its segments' own). */
const INIT_GENERATIONS_KEPT = 4;

interface StreamRecordings {
  current: Recording | undefined;
  /** Cut at max duration: still taking the segments up to their `untilMsn`. */
  closing: Recording[];
}

export class Recorder implements StoreTap {
  readonly dir: string;
  /** The start-up repair, retention and disk check: done. */
  readonly ready: Promise<void>;
  readonly #options: ResolvedRecordOptions;
  readonly #host: RecorderHost;
  readonly #streams = new Map<string, StreamRecordings>();
  /** Every stream's latest init segments, `<app>/<key>/<rendition>` → generation → file (they are small). */
  readonly #inits = new Map<string, Map<number, StoredFile>>();
  readonly #finishing = new Set<Promise<void>>();
  /** Every stream's highest segment number put so far (a part's or a segment's): the control API records from the next one. */
  readonly #lastMsn = new Map<string, number>();
  readonly #timers: NodeJS.Timeout[] = [];
  #lowDisk: string | undefined;
  #closed = false;

  constructor(options: RecordOptions, host: RecorderHost) {
    this.#options = resolveRecordOptions(options);
    this.dir = this.#options.dir;
    this.#host = host;
    this.ready = this.#startUp();
    const every = (ms: number, run: () => Promise<void>): void => {
      const timer = setInterval(() => void run().catch(() => undefined), ms);
      timer.unref();
      this.#timers.push(timer);
    };
    every(DISK_CHECK_MS, () => this.checkDisk());
    if (this.#options.deleteAfterSeconds !== undefined) every(RETENTION_CHECK_MS, () => this.sweep());
  }

  // The store tap: every put and delete of every stream, after the store took it.

  put(storePath: string, file: StoredFile): void {
    const parts = storePath.split('/');
    if (parts.length !== 4) return;
    const [app, key, rendition] = parts as [string, string, string, string];
    // The packager's names, with or without a cluster epoch's prefix (live-names.ts): a recording
    // is written with the plain names (recorder-playlists.ts), so its repair, VOD and export do not change.
    const name = parseLiveObjectName(parts[3]!);
    if (name?.kind === 'init') {
      this.#keepInit(`${app}/${key}/${rendition}`, name.generation, file);
      this.#streams.get(`${app}/${key}`)?.current?.init(rendition, name.generation, file);
      return;
    }
    if (name?.kind === 'part') {
      this.#seen(app, key, name.msn);
      this.#route(app, key, name.msn, true)?.part(rendition, name.msn, name.index, file);
      return;
    }
    if (name?.kind !== 'segment') return;
    const msn = name.msn;
    this.#seen(app, key, msn);
    const recording = this.#route(app, key, msn, true);
    recording?.segment(rendition, msn, file);
    // A cut recording is finished once each of its renditions has put its last segment.
    if (recording !== undefined && recording.untilMsn === msn && recording.hasSegment(msn)) this.#finish(recording);
  }

  delete(storePath: string): void {
    const parts = storePath.split('/');
    const init = parts.length === 4 ? parseLiveObjectName(parts[3]!) : undefined;
    if (init?.kind !== 'init') return;
    // The stream's files are going (it ended a retention ago): so does what is kept of it.
    this.#lastMsn.delete(`${parts[0]}/${parts[1]}`);
    const name = parts.slice(0, 3).join('/');
    const kept = this.#inits.get(name);
    kept?.delete(init.generation);
    if (kept?.size === 0) this.#inits.delete(name);
  }

  // The server's events (recording-wiring.ts).

  /** A publish began: a new recording when the options choose the stream or its authorization asked for one. */
  publish(app: string, key: string, asked: boolean): void {
    const stream = this.#streams.get(`${app}/${key}`);
    // The previous publish's recordings end here at the latest: each publish is a recording of its own.
    for (const r of [...(stream?.closing ?? []), ...(stream?.current === undefined ? [] : [stream.current])]) this.#finish(r);
    if (asked || this.#options.select(app, key)) this.#begin(app, key, 0, this.#host.now());
  }

  /** The publisher left: its recordings end once the packager has handed over the last segments. */
  unpublish(app: string, key: string): void {
    const stream = this.#streams.get(`${app}/${key}`);
    if (stream === undefined) return;
    const ending = [...stream.closing, ...(stream.current === undefined ? [] : [stream.current])];
    // Not waited for by close(): it finishes every recording itself, and a ladder's settling may take seconds.
    const finish = (): void => void ending.map((r) => this.#finish(r));
    this.#host.settled(app, key).then(finish, finish);
  }

  /** The packager's segment event: the segment's duration, date and generation, for the playlist; the max-duration cut. */
  segmentEvent(app: string, key: string, event: LiveSegmentEvent): void {
    const recording = this.#route(app, key, event.msn, false);
    if (recording === undefined) return;
    recording.segmentEvent(event);
    const stream = this.#streams.get(`${app}/${key}`)!;
    if (recording !== stream.current || recording.seenSeconds < this.#options.maxDurationSeconds) return;
    // A cut at this segment's end: the next segment starts the next recording.
    recording.untilMsn = event.msn;
    stream.closing.push(recording);
    stream.current = undefined;
    this.#begin(app, key, event.msn + 1, Math.round(event.programDateTimeMs + event.durationSeconds * 1000));
  }

  // Control (server.recording, the recordings API).

  /**
   * Records a live stream from its next segment (one no rendition has begun: the renditions start
   * together); false when it is not live. True when it already is recording.
   */
  start(app: string, key: string): boolean {
    if (this.#closed || !this.#host.isLive(app, key)) return false;
    if (this.isRecording(app, key)) return true;
    return this.#begin(app, key, (this.#lastMsn.get(`${app}/${key}`) ?? -1) + 1, this.#host.now()) !== undefined;
  }

  /** Ends the stream's recording now (the segment being written is left out); false when there was none. */
  async stop(app: string, key: string): Promise<boolean> {
    const stream = this.#streams.get(`${app}/${key}`);
    const ending = [...(stream?.closing ?? []), ...(stream?.current === undefined ? [] : [stream.current])];
    await Promise.all(ending.map((r) => this.#finish(r)));
    return ending.length > 0;
  }

  isRecording(app: string, key: string): boolean {
    return this.#streams.get(`${app}/${key}`)?.current?.active === true;
  }

  /** The ids of the recordings being written. */
  get recordingIds(): string[] {
    return [...this.#streams.values()].flatMap((s) => [...s.closing, ...(s.current === undefined ? [] : [s.current])]).map((r) => r.id);
  }

  /** Retention: recordings that ended more than deleteAfterSeconds ago are deleted, with the folders they leave empty. */
  async sweep(): Promise<void> {
    const afterSeconds = this.#options.deleteAfterSeconds;
    if (afterSeconds === undefined) return;
    const active = new Set(this.recordingIds);
    const nowMs = this.#host.now();
    for (const info of await scanRecordings(this.dir)) {
      if (active.has(info.id) || info.state === 'recording') continue;
      if (nowMs - (info.endedAtMs ?? info.startedAtMs) <= afterSeconds * 1000) continue;
      const folder = recordingFolder(this.dir, info.id);
      if (folder === undefined) continue;
      await rm(folder, { recursive: true, force: true });
      await this.#pruneParents(folder);
    }
  }

  /**
   * The disk floor: under minFreeBytes free, every recording stops with a 'failed' event and none
   * begins until there is room again. The live streams go on.
   */
  async checkDisk(): Promise<void> {
    const free = await this.#options.freeBytes(this.dir);
    const floor = this.#options.minFreeBytes;
    if (free >= floor) {
      this.#lowDisk = undefined;
      return;
    }
    this.#lowDisk = `free space on the recordings' disk is ${free} bytes, under record.minFreeBytes (${floor})`;
    for (const stream of this.#streams.values()) {
      for (const r of [...stream.closing, ...(stream.current === undefined ? [] : [stream.current])]) this.#track(r.fail(this.#lowDisk).catch(() => undefined));
    }
  }

  /** Resolves when the recordings' writes queued so far are done (and the start-up work). */
  async idle(): Promise<void> {
    await this.ready;
    await Promise.all([...this.#streams.values()].flatMap((s) => [...s.closing, ...(s.current === undefined ? [] : [s.current])]).map((r) => r.idle()));
    await Promise.all([...this.#finishing]);
  }

  /** Ends every recording (the server is closing) and waits for their last writes. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    for (const stream of this.#streams.values()) {
      for (const r of [...stream.closing, ...(stream.current === undefined ? [] : [stream.current])]) this.#finish(r);
    }
    await this.ready.catch(() => undefined);
    while (this.#finishing.size > 0) await Promise.all([...this.#finishing]);
  }

  /** Never rejects: what fails is told as a 'failed' event, and recording goes on. */
  async #startUp(): Promise<void> {
    const failed = (info: { id: string; app: string; streamKey: string }, reason: string): void => this.#host.emit({ type: 'failed', id: info.id, app: info.app, streamKey: info.streamKey, reason });
    try {
      await repairRecordings(this.dir, (id) => this.recordingIds.includes(id), (info, reason) => failed(info, `the start-up repair failed: ${reason}`));
      await this.sweep();
      await this.checkDisk();
    } catch (error) {
      failed({ id: '', app: '', streamKey: '' }, `the start-up scan of ${this.dir} failed: ${(error as Error).message}`);
    }
  }

  #begin(app: string, key: string, fromMsn: number, startedAtMs: number): Recording | undefined {
    const id = expandTemplate(this.#options.pathTemplate, app, key, startedAtMs);
    if (this.#lowDisk !== undefined || this.#closed) {
      this.#host.emit({ type: 'failed', id, app, streamKey: key, reason: this.#lowDisk ?? 'the server is closing' });
      return undefined;
    }
    const name = `${app}/${key}`;
    let stream = this.#streams.get(name);
    if (stream === undefined) {
      stream = { current: undefined, closing: [] };
      this.#streams.set(name, stream);
    }
    const recording = new Recording(this.dir, this.#uniqueId(id), { app, streamKey: key, startedAtMs, fromMsn }, {
      now: this.#host.now,
      emit: this.#host.emit,
      minTargetSeconds: this.#host.targetDurationSeconds,
      maxQueuedBytes: this.#options.maxQueuedBytes,
      source: {
        describe: (rendition) => this.#host.describe(app, key, rendition),
        init: (rendition, generation) => this.#initOf(`${name}/${rendition}`, generation),
      },
    });
    stream.current = recording;
    return recording;
  }

  /** Two recordings of this process never share a folder (a template without seconds, a cut within one). */
  #uniqueId(id: string): string {
    const taken = new Set(this.recordingIds);
    let candidate = id;
    for (let n = 1; taken.has(candidate); n++) candidate = `${id}-${n}`;
    return candidate;
  }

  /**
   * The recording a file of segment `msn` belongs to: one cut at max duration until its last
   * segment, else the current one. A put two segments past a cut recording's last one finishes
   * it, should a rendition never put its last segment (it stopped).
   */
  #route(app: string, key: string, msn: number, isPut: boolean): Recording | undefined {
    const stream = this.#streams.get(`${app}/${key}`);
    if (stream === undefined) return undefined;
    for (const r of stream.closing) if (msn <= r.untilMsn) return r;
    if (isPut) for (const r of stream.closing) if (msn > r.untilMsn + 1) this.#finish(r);
    const current = stream.current;
    return current !== undefined && current.active && msn >= current.fromMsn ? current : undefined;
  }

  #finish(recording: Recording): Promise<void> {
    const name = `${recording.app}/${recording.streamKey}`;
    const stream = this.#streams.get(name);
    if (stream !== undefined) {
      if (stream.current === recording) stream.current = undefined;
      stream.closing = stream.closing.filter((r) => r !== recording);
      if (stream.current === undefined && stream.closing.length === 0) this.#streams.delete(name);
    }
    const done = recording.finish().catch(() => undefined);
    this.#track(done);
    return done;
  }

  #seen(app: string, key: string, msn: number): void {
    const name = `${app}/${key}`;
    if (msn > (this.#lastMsn.get(name) ?? -1)) this.#lastMsn.set(name, msn);
  }

  #track(done: Promise<void>): void {
    this.#finishing.add(done);
    void done.finally(() => this.#finishing.delete(done));
  }

  #keepInit(name: string, generation: number, file: StoredFile): void {
    let kept = this.#inits.get(name);
    if (kept === undefined) {
      kept = new Map();
      this.#inits.set(name, kept);
    }
    kept.set(generation, file);
    if (kept.size > INIT_GENERATIONS_KEPT) kept.delete(Math.min(...kept.keys()));
  }

  #initOf(name: string, generation?: number): { generation: number; file: StoredFile } | undefined {
    const kept = this.#inits.get(name);
    if (kept === undefined || kept.size === 0) return undefined;
    const chosen = generation ?? Math.max(...kept.keys());
    const file = kept.get(chosen);
    return file === undefined ? undefined : { generation: chosen, file };
  }

  /** Removes the folders above a deleted recording that it left empty, up to the recordings dir. */
  async #pruneParents(folder: string): Promise<void> {
    for (let parent = path.dirname(folder); parent.startsWith(this.dir + path.sep); parent = path.dirname(parent)) {
      const left = await readdir(parent).catch(() => ['?']);
      if (left.length > 0) return;
      await rmdir(parent).catch(() => undefined);
    }
  }
}
