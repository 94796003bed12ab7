import { existsSync } from 'node:fs';
import { readdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isTemporaryFile } from './recorder-files.js';
import { readRecordingInfo, recordingFolder, scanRecordings, type RecordingInfo } from './recording-catalog.js';
import type { UploadEvent } from './object-storage-events.js';
import { UploadJournal, type JournalEntry } from './object-storage-journal.js';
import { bucketKey, planRecordingFile, type UploadKind } from './object-storage-plan.js';
import type { ObjectStorageUploader } from './object-storage.js';

/**
 * Object storage's recording mode (docs/storage.md "Recordings"): each finished recording's folder
 * goes up to `<prefix>/recordings/<id>/<path in the folder>`, through the uploader's queue (its
 * concurrency, retries, outage pause and events: ObjectStorageUploader.putFile).
 *
 * - **When:** at the recorder's 'completed' event; after a 'failed' one (the recorder closes what it
 *   has); and at start, once the recorder's repair has run, every finished recording (complete or
 *   recovered) whose folder has no `.uploaded` marker.
 * - **Order:** the media (init segments, segments) first, then the media playlists, then the
 *   multivariant playlist and the MPD, recording.json last: a stage starts once every file of the
 *   stages before it is in the bucket, so nothing in the bucket names a file not there yet.
 * - **Fair to the live streams:** at most `maxConcurrency` files of a recording are queued at a
 *   time; the next one joins the queue behind whatever the live streams put meanwhile.
 * - **Journaled:** one entry per recording in `<journalDir>/recordings/` (its folder as `source`),
 *   with the files confirmed so far appended to `<entry>.done`: a restart resumes with the files
 *   not confirmed. The bytes are the recording's own files, streamed at each attempt: never copied
 *   to the journal, never held in memory.
 * - **Done:** `.uploaded` is written in the folder (or, with `deleteLocalRecordings`, the folder is
 *   deleted, with the parents it leaves empty), the entry removed, and an `upload` event of kind
 *   `recording` tells the outcome. A recording whose files vanish meanwhile (deleted by retention
 *   or the API) ends with a `failed` one and is not retried.
 */

/**
 * 2: the start-up scan queues the recordings it finds two at a time (a server turned to the
 * recording mode with a thousand recordings on disk does not queue them all at once); a recording
 * completed meanwhile does not wait for them.
 */
export const SCANNED_RECORDINGS_AT_ONCE = 2;

/** The marker of a recording whose every file is in the bucket. */
export const UPLOADED_MARKER = '.uploaded';

/** What it asks of the recorder (recorder.ts). */
export interface RecordingsSource {
  readonly dir: string;
  /** The start-up repair has run. */
  readonly ready: Promise<void>;
  /** The recordings being written. */
  readonly recordingIds: readonly string[];
}

interface RecordingFile {
  readonly relative: string;
  readonly bytes: number;
  readonly kind: UploadKind;
  readonly contentType: string;
  readonly stage: number;
}

interface PendingRecording {
  readonly id: string;
  readonly folder: string;
  readonly info: RecordingInfo;
  readonly entry: JournalEntry;
  /** Files not queued yet, in upload order. */
  readonly queue: RecordingFile[];
  /** Queued in the uploader, not settled: their stages. */
  readonly inflight: Map<string, number>;
  readonly startedAt: number;
  readonly bytes: number;
  /** The `.done` lines' appends, one after another. */
  progress: Promise<void>;
  gone: string | undefined;
}

export class RecordingUploads {
  readonly journal: UploadJournal;
  /** The start-up resume and scan: done. */
  readonly ready: Promise<void>;
  readonly #uploader: ObjectStorageUploader;
  readonly #recorder: RecordingsSource;
  readonly #pending = new Map<string, PendingRecording | 'starting'>();
  readonly #work = new Set<Promise<void>>();
  readonly #idle: Array<() => void> = [];
  readonly #room: Array<() => void> = [];
  #closed = false;

  constructor(uploader: ObjectStorageUploader, recorder: RecordingsSource) {
    this.#uploader = uploader;
    this.#recorder = recorder;
    this.journal = UploadJournal.open(path.join(uploader.settings.journalDir, 'recordings'), 'objectStorage.journalDir');
    const resumed = this.journal.scan();
    this.ready = this.#track(this.#startUp(resumed));
  }

  /** Recordings being uploaded. */
  get pending(): number {
    return this.#pending.size;
  }

  /** A recording finished (the recorder's 'completed'): its folder goes up. */
  finished(id: string): void {
    if (!this.#closed) this.#track(this.#upload(id));
  }

  /** Every finished recording under the recorder's dir that is not uploaded yet (nor being uploaded) goes up. */
  scan(): Promise<void> {
    return this.#track(this.#scan());
  }

  /** Resolves once no recording is being uploaded (tests, the docs example). */
  async idle(): Promise<void> {
    for (;;) {
      while (this.#work.size > 0) await Promise.allSettled([...this.#work]);
      if (this.#pending.size === 0 || this.#closed) return;
      await new Promise<void>((resolve) => this.#idle.push(resolve));
    }
  }

  /** No new uploads; what is pending stays in the journal for the next start. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const resolve of this.#room.splice(0)) resolve();
    while (this.#work.size > 0) await Promise.allSettled([...this.#work]);
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  async #startUp(resumed: JournalEntry[]): Promise<void> {
    await this.#recorder.ready.catch(() => undefined);
    for (const entry of resumed) {
      const id = entry.record.objectPath.slice('recordings/'.length);
      if (entry.record.kind !== 'recording' || entry.record.source === undefined || !existsSync(entry.record.source)) await this.journal.remove(entry.id);
      else await this.#upload(id, entry);
    }
    await this.#scan();
  }

  async #scan(): Promise<void> {
    const active = new Set(this.#recorder.recordingIds);
    for (const info of await scanRecordings(this.#recorder.dir)) {
      if (this.#closed) return;
      if (info.state === 'recording' || active.has(info.id) || this.#pending.has(info.id)) continue;
      const folder = recordingFolder(this.#recorder.dir, info.id);
      if (folder === undefined || existsSync(path.join(folder, UPLOADED_MARKER))) continue;
      while (this.#pending.size >= SCANNED_RECORDINGS_AT_ONCE && !this.#closed) await new Promise<void>((resolve) => this.#room.push(resolve));
      await this.#upload(info.id);
    }
  }

  /** A recording's upload: its journal entry (made, or resumed), then its files, a window at a time. */
  async #upload(id: string, resumed?: JournalEntry): Promise<void> {
    if (this.#closed || this.#pending.has(id)) return;
    this.#pending.set(id, 'starting');
    try {
      const folder = resumed?.record.source ?? recordingFolder(this.#recorder.dir, id);
      const info = folder === undefined ? undefined : await readRecordingInfo(folder);
      if (folder === undefined || info === undefined || info.state === 'recording' || (resumed === undefined && existsSync(path.join(folder, UPLOADED_MARKER)))) {
        if (resumed !== undefined) await this.journal.remove(resumed.id);
        return this.#forget(id);
      }
      const audio = new Set(info.renditions.filter((r) => r.kind === 'audio').map((r) => r.name));
      const files = (await listFiles(folder)).map((f) => ({ ...f, ...planRecordingFile(f.relative, (r) => audio.has(r)) }));
      files.sort((a, b) => a.stage - b.stage || compareNames(a.relative, b.relative));
      const total = files.reduce((sum, f) => sum + f.bytes, 0);
      const entry = resumed ?? this.journal.newEntry('put', `recordings/${id}`, 'recording', '', total, Date.now(), folder);
      if (resumed === undefined) await this.journal.write(entry, undefined);
      const done = resumed === undefined ? new Set<string>() : this.journal.readDone(resumed.id);
      const queue = files.filter((f) => !done.has(f.relative));
      const recording: PendingRecording = { id, folder, info, entry, queue, inflight: new Map(), startedAt: Date.now(), bytes: total, progress: Promise.resolve(), gone: undefined };
      if (this.#closed) return this.#forget(id);
      this.#pending.set(id, recording);
      this.#feed(recording);
    } catch (error) {
      // A folder that cannot be read (permissions, a race with its deletion): left for the next start.
      this.#error(error);
      this.#forget(id);
    }
  }

  /** Queues the next files, up to maxConcurrency of this recording at once, a stage only after the ones before it. */
  #feed(r: PendingRecording): void {
    const window = this.#uploader.settings.maxConcurrency;
    while (!this.#closed && r.gone === undefined && r.queue.length > 0 && r.inflight.size < window) {
      const next = r.queue[0]!;
      if ([...r.inflight.values()].some((stage) => stage < next.stage)) break;
      r.queue.shift();
      r.inflight.set(next.relative, next.stage);
      this.#uploader.putFile({
        objectPath: `recordings/${r.id}/${next.relative}`,
        kind: next.kind,
        path: path.join(r.folder, ...next.relative.split('/')),
        byteLength: next.bytes,
        contentType: next.contentType,
        deps: [],
        app: r.info.app,
        streamKey: r.info.streamKey,
        recording: r.id,
        settled: (uploaded) => this.#settled(r, next.relative, uploaded),
      });
    }
    if (r.inflight.size === 0 && (r.queue.length === 0 || r.gone !== undefined)) this.#track(this.#end(r));
  }

  #settled(r: PendingRecording, relative: string, uploaded: boolean): void {
    r.inflight.delete(relative);
    if (uploaded) {
      r.progress = r.progress.then(() => this.journal.addDone(r.entry.id, relative)).catch((error: unknown) => this.#error(error));
      this.#track(r.progress);
    }
    else r.gone ??= `${relative} of the recording was gone before it was uploaded (the recording was deleted)`;
    this.#feed(r);
  }

  /** Every file settled: the marker (or the folder deleted), the journal entry removed, the outcome told. */
  async #end(r: PendingRecording): Promise<void> {
    await r.progress;
    try {
      if (r.gone === undefined && this.#uploader.settings.deleteLocalRecordings) await this.#deleteFolder(r.folder);
      else if (r.gone === undefined) await writeFile(path.join(r.folder, UPLOADED_MARKER), JSON.stringify({ bucket: this.#uploader.settings.bucket, key: this.#key(r.id), uploadedAtMs: Date.now() }) + '\n');
      await this.journal.remove(r.entry.id);
    } catch (error) {
      this.#error(error);
    }
    const event: UploadEvent = {
      outcome: r.gone === undefined ? 'completed' : 'failed',
      op: 'put',
      app: r.info.app,
      streamKey: r.info.streamKey,
      kind: 'recording',
      bucket: this.#uploader.settings.bucket,
      key: this.#key(r.id),
      bytes: r.bytes,
      attempt: 1,
      elapsedMs: Date.now() - r.startedAt,
      recording: r.id,
      ...(r.gone === undefined ? {} : { error: r.gone }),
    };
    this.#uploader.emit('upload', event);
    this.#forget(r.id);
  }

  #key(id: string): string {
    return `${bucketKey(this.#uploader.settings.prefix, `recordings/${id}`)}/`;
  }

  /** The recording's folder, then the parents it leaves empty up to the recordings dir. */
  async #deleteFolder(folder: string): Promise<void> {
    await rm(folder, { recursive: true, force: true });
    const root = path.resolve(this.#recorder.dir);
    for (let parent = path.dirname(folder); parent.startsWith(root + path.sep); parent = path.dirname(parent)) {
      if ((await readdir(parent).catch(() => ['?'])).length > 0) return;
      await rmdir(parent).catch(() => undefined);
    }
  }

  /** A journal write, or a read of a recording's folder, failed: counted and told as the uploader's journal errors. */
  #error(error: unknown): void {
    this.#uploader.counters.journalErrors += 1;
    this.#uploader.emit('journalError', error);
  }

  #forget(id: string): void {
    this.#pending.delete(id);
    for (const resolve of this.#room.splice(0)) resolve();
    if (this.#pending.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  #track<T>(work: Promise<T>): Promise<void> {
    const done = work.then(
      () => undefined,
      () => undefined,
    );
    this.#work.add(done);
    void done.finally(() => this.#work.delete(done));
    return done;
  }
}

/** The recording's files (its folder and rendition folders), relative and '/'-separated: no dot files, temporary files or symlinks. */
async function listFiles(folder: string): Promise<Array<{ relative: string; bytes: number }>> {
  const out: Array<{ relative: string; bytes: number }> = [];
  const walk = async (sub: string[]): Promise<void> => {
    const entries = await readdir(path.join(folder, ...sub), { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.') || isTemporaryFile(e.name)) continue;
      if (e.isDirectory() && sub.length === 0) await walk([e.name]);
      else if (e.isFile()) {
        const { size } = await stat(path.join(folder, ...sub, e.name));
        out.push({ relative: [...sub, e.name].join('/'), bytes: size });
      }
    }
  };
  await walk([]);
  return out;
}

/** Numbers in names compare as numbers (`video/9.m4s` before `video/10.m4s`): the bucket fills in playing order. */
function compareNames(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
