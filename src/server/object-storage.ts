import type { S3Client } from '@aws-sdk/client-s3';
import { EventEmitter } from 'eventemitter3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { StoredFile } from '../store/index.js';
import type { StoreTap } from './store-taps.js';
import type { RecordingUploads } from './object-storage-recordings.js';
import { uploadEvent, type FileUpload, type ObjectStorageCounters, type ObjectStorageEvents, type UploadEvent } from './object-storage-events.js';
import { UploadJournal, type JournalEntry } from './object-storage-journal.js';
import { resolveObjectStorageOptions, type ObjectStorageOptions, type ResolvedObjectStorageOptions } from './object-storage-options.js';
import { bucketKey, cacheControlFor, describeFailure, planDelete, planPut, playlistDependencies, type UploadTarget } from './object-storage-plan.js';

/**
 * Object storage (docs/storage.md): a StoreTap that pushes a live stream's plain HLS to an
 * S3-compatible bucket as the packagers put it (object-storage-plan.ts says what goes up and
 * under which key). The tap never blocks the packager: a put is queued, journaled on disk
 * (object-storage-journal.ts) and uploaded by at most `maxConcurrency` requests.
 *
 * - **Order per stream:** a playlist goes up only once every object it lists that is still pending
 *   is in the bucket (a multivariant playlist waits for its media playlists' first upload), so a
 *   player reading the bucket never gets a URI that answers 404.
 * - **Coalescing:** one operation pending per object: a newer version of a playlist replaces the
 *   one still waiting (one being uploaded finishes first, the newer goes next).
 * - **Retries** with exponential backoff and jitter, without end: a segment is never dropped. A
 *   transient failure (the service down) pauses every upload and the service is probed, not
 *   hammered; the first success ends the pause and wakes what waits.
 * - **Bounded memory:** pending bytes stay in memory up to `maxMemoryBytes`; past it they wait in
 *   the journal only and are read back to upload. Every pending operation is in the journal, so a
 *   restart resumes them.
 */

interface Entry {
  readonly journal: JournalEntry;
  readonly cacheControl: string;
  /** The bytes while they are in memory; undefined once they wait in the journal only. */
  pieces: readonly Uint8Array[] | undefined;
  /** Objects it waits for (a playlist's URIs). */
  readonly deps: readonly string[];
  readonly queuedAt: number;
  /** A local file's put (putFile): read from disk at each attempt, not journaled here. */
  readonly file: FileUpload | undefined;
  /** Its journal write has finished (or failed: then it is kept in memory). */
  journaled: boolean;
  journalFailed: boolean;
  /** Replaced by a newer operation on its object, or done: its journal files go. */
  dropped: boolean;
  attempt: number;
  notBefore: number;
  lastTransient: boolean;
}

/** One object's operations: the one to do (perhaps in flight) and a newer one waiting behind it. */
interface Slot {
  current: Entry;
  running: boolean;
  next: Entry | undefined;
}

export class ObjectStorageUploader extends EventEmitter<ObjectStorageEvents> implements StoreTap {
  readonly settings: ResolvedObjectStorageOptions;
  readonly counters: ObjectStorageCounters = { completed: 0, failedAttempts: 0, uploadedBytes: 0, resumed: 0, journalErrors: 0 };
  readonly journal: UploadJournal;
  /** The recording mode (object-storage-recordings.ts), set by the wiring with `recordings: true`. */
  recordings: RecordingUploads | undefined;
  /** The AWS SDK's part, loaded when the uploader starts (object-storage-requests.ts): a server without object storage never loads it. */
  readonly #requests: Promise<typeof import('./object-storage-requests.js')>;
  readonly #client: Promise<S3Client>;
  readonly #ownClient: boolean;
  readonly #slots = new Map<string, Slot>();
  readonly #lowLatency = new Set<string>();
  readonly #playlistsUp = new Set<string>();
  readonly #controllers = new Set<AbortController>();
  readonly #running = new Set<Promise<void>>();
  readonly #idle: Array<() => void> = [];
  #journalChain: Promise<void> = Promise.resolve();
  #inflight = 0;
  #pendingBytes = 0;
  #memoryBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  /**
   * The service seems down (a transient failure): no attempt starts before this, then at most
   * maxConcurrency probe it. `#outageFailures` sets the backoff; a success ends the outage.
   */
  #pausedUntil = 0;
  #outageFailures = 0;
  #closing = false;
  #aborted = false;

  constructor(options: ObjectStorageOptions) {
    super();
    this.settings = resolveObjectStorageOptions(options);
    this.journal = UploadJournal.open(this.settings.journalDir, 'objectStorage.journalDir');
    this.#requests = import('./object-storage-requests.js');
    this.#client = this.#requests.then((requests) => requests.createClient(options));
    // A failed load is told by every attempt (each a failure, retried); not as an unhandled rejection.
    this.#client.catch(() => undefined);
    this.#ownClient = options.client === undefined;
    this.#resume();
    this.#pump();
  }

  /** Operations waiting or in flight. */
  get pending(): number {
    let n = 0;
    for (const slot of this.#slots.values()) n += slot.next === undefined ? 1 : 2;
    return n;
  }

  /** Bytes of the pending puts, in memory or in the journal. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Bytes of the pending puts held in memory (at most maxMemoryBytes, plus those being journaled). */
  get memoryBytes(): number {
    return this.#memoryBytes;
  }

  /** The object's URL over HTTP (`objectPath` as `<app>/<key>/index.m3u8`): what a player or CDN reads. */
  objectUrl(objectPath: string): string {
    return `${this.settings.publicBase}/${bucketKey(this.settings.prefix, objectPath)}`;
  }

  put(path: string, file: StoredFile): void {
    if (this.#closing || !this.settings.live) return;
    const plan = planPut(path, (stream) => this.#lowLatency.has(stream));
    if (plan.lowLatency && plan.stream !== undefined) this.#lowLatency.add(plan.stream);
    if (plan.target === undefined) return;
    // A playlist's text is read now (a DeferredFile is rendered): it is journaled and its URIs ordered.
    const pieces = file.pieces;
    const playlist = plan.target.kind === 'playlist' || plan.target.kind === 'multivariant';
    const deps = playlist ? playlistDependencies(plan.target.objectPath, Buffer.concat(pieces).toString('latin1')) : [];
    this.#enqueue(plan.target, 'put', pieces, file.byteLength, file.contentType, deps);
  }

  delete(path: string): void {
    if (this.#closing || !this.settings.live) return;
    const target = planDelete(path, (stream) => this.#lowLatency.has(stream));
    if (target === undefined) return;
    // The origin forgets the stream's files when it forgets the stream: so do the order rules.
    this.#playlistsUp.delete(target.objectPath);
    if (target.kind === 'multivariant') this.#lowLatency.delete(target.stream);
    if (this.settings.deleteWithWindow) this.#enqueue(target, 'delete', undefined, 0, '', []);
  }

  /**
   * Queues the put of a local file (a finished recording's, object-storage-recordings.ts): streamed
   * from disk at each attempt, never held in memory, journaled by the caller; `settled` tells its end.
   */
  putFile(upload: FileUpload): void {
    if (!this.#closing) this.#enqueue({ kind: upload.kind, objectPath: upload.objectPath, stream: '' }, 'put', undefined, upload.byteLength, upload.contentType, upload.deps, upload);
  }

  /** Resolves once nothing is pending (tests, a docs example, a planned shutdown). */
  idle(): Promise<void> {
    if (this.#slots.size === 0) return this.#journalChain;
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * Stops taking puts, waits up to closeTimeoutMs for the pending uploads, then aborts those in
   * flight: what is left stays in the journal for the next start.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await this.#journalChain;
    if (this.#slots.size > 0 && this.settings.closeTimeoutMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, this.settings.closeTimeoutMs)))]);
      clearTimeout(timer);
    }
    this.#aborted = true;
    clearTimeout(this.#timer);
    for (const c of this.#controllers) c.abort();
    await Promise.allSettled([...this.#running]);
    await this.#journalChain;
    if (this.#ownClient) (await this.#client.catch(() => undefined))?.destroy();
  }

  #enqueue(target: UploadTarget, op: 'put' | 'delete', pieces: readonly Uint8Array[] | undefined, byteLength: number, contentType: string, deps: readonly string[], file?: FileUpload): void {
    const journal = this.journal.newEntry(op, target.objectPath, target.kind, contentType, byteLength, Date.now());
    const entry = this.#entry(journal, pieces, deps, file);
    this.#pendingBytes += byteLength;
    if (pieces !== undefined) this.#memoryBytes += byteLength;
    const slot = this.#slots.get(target.objectPath);
    if (slot === undefined) this.#slots.set(target.objectPath, { current: entry, running: false, next: undefined });
    else if (!slot.running) {
      this.#drop(slot.current);
      slot.current = entry;
    } else {
      if (slot.next !== undefined) this.#drop(slot.next);
      slot.next = entry;
    }
    this.#journalChain = this.#journalChain.then(() => this.#write(entry));
  }

  #entry(journal: JournalEntry, pieces: readonly Uint8Array[] | undefined, deps: readonly string[], file?: FileUpload): Entry {
    const cacheControl = cacheControlFor(journal.record.kind, this.settings.playlistMaxAgeSeconds);
    return { journal, cacheControl, pieces, deps, queuedAt: performance.now(), file, journaled: false, journalFailed: false, dropped: false, attempt: 0, notBefore: 0, lastTransient: false };
  }

  async #write(entry: Entry): Promise<void> {
    if (entry.dropped) return;
    try {
      if (entry.file === undefined) await this.journal.write(entry.journal, entry.journal.record.op === 'put' ? entry.pieces : undefined);
    } catch (error) {
      entry.journalFailed = true;
      this.#journalError(error);
    }
    entry.journaled = true;
    if (entry.dropped) return this.#forget(entry);
    // Past the memory bound the bytes wait on disk: the newest go there first, the oldest go up first from memory.
    if (!entry.journalFailed && this.#memoryBytes > this.settings.maxMemoryBytes) this.#release(entry);
    this.#pump();
  }

  #release(entry: Entry): void {
    if (entry.pieces === undefined) return;
    entry.pieces = undefined;
    this.#memoryBytes -= entry.journal.record.byteLength;
  }

  /** An entry replaced or done: its bytes leave memory and the count, its journal files go. */
  #drop(entry: Entry): void {
    if (entry.dropped) return;
    entry.dropped = true;
    this.#release(entry);
    this.#pendingBytes -= entry.journal.record.byteLength;
    if (entry.journaled) this.#forget(entry);
  }

  #forget(entry: Entry): void {
    if (entry.journalFailed || entry.file !== undefined) return;
    const removal = this.journal.remove(entry.journal.id).catch((error: unknown) => this.#journalError(error));
    this.#journalChain = this.#journalChain.then(() => removal);
  }

  #journalError(error: unknown): void {
    this.counters.journalErrors += 1;
    this.emit('journalError', error);
  }

  /** Starts what may start: journaled, due, not waiting for another object, within the concurrency. */
  #pump(): void {
    if (this.#aborted) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = performance.now();
    if (this.#pausedUntil > now) return this.#wakeAt(this.#pausedUntil, now);
    let soonest = Infinity;
    for (const slot of this.#slots.values()) {
      if (this.#inflight >= this.settings.maxConcurrency) break;
      const entry = slot.current;
      if (slot.running || !entry.journaled) continue;
      if (entry.notBefore > now) {
        soonest = Math.min(soonest, entry.notBefore);
        continue;
      }
      if (this.#waitsForAnother(entry)) continue;
      const run = this.#run(slot, entry);
      this.#running.add(run);
      void run.finally(() => this.#running.delete(run));
    }
    if (soonest !== Infinity) this.#wakeAt(soonest, now);
  }

  #wakeAt(at: number, now: number): void {
    this.#timer = setTimeout(() => this.#pump(), Math.max(0, at - now));
    // Pending uploads do not keep a process alive: they are in the journal.
    this.#timer.unref();
  }

  /** An object it lists is still pending: a segment not up yet, a playlist never up yet. */
  #waitsForAnother(entry: Entry): boolean {
    for (const dep of entry.deps) {
      const slot = this.#slots.get(dep);
      if (slot === undefined || slot.current.journal.record.op === 'delete') continue;
      const kind = slot.current.journal.record.kind;
      if ((kind === 'playlist' || kind === 'multivariant') && this.#playlistsUp.has(dep)) continue;
      return true;
    }
    return false;
  }

  async #run(slot: Slot, entry: Entry): Promise<void> {
    slot.running = true;
    this.#inflight += 1;
    entry.attempt += 1;
    const controller = new AbortController();
    this.#controllers.add(controller);
    let failure: unknown;
    let failed = false;
    try {
      await this.#send(entry, controller.signal);
    } catch (error) {
      failed = true;
      failure = error;
    } finally {
      this.#controllers.delete(controller);
      this.#inflight -= 1;
      slot.running = false;
    }
    if (this.#aborted) return;
    if (failed) this.#failed(slot, entry, failure);
    else this.#completed(slot, entry);
    this.#pump();
    if (this.#slots.size === 0) for (const resolve of this.#idle.splice(0)) void this.#journalChain.then(resolve);
  }

  async #send(entry: Entry, signal: AbortSignal): Promise<void> {
    const { record, id } = entry.journal;
    const key = bucketKey(this.settings.prefix, record.objectPath);
    const requests = await this.#requests;
    const client = await this.#client;
    if (record.op === 'delete') return requests.deleteObject(client, this.settings.bucket, key, signal);
    const pieces = entry.pieces;
    // Bytes not in memory are streamed from their file: the journal's, or a recording's.
    const body = pieces === undefined ? { localFile: entry.file?.path ?? join(this.journal.dir, `${id}.bin`) } : pieces.length === 1 ? Buffer.from(pieces[0]!.buffer, pieces[0]!.byteOffset, pieces[0]!.byteLength) : Buffer.concat(pieces);
    await requests.putObject(client, { bucket: this.settings.bucket, key, contentType: record.contentType, cacheControl: entry.cacheControl, byteLength: record.byteLength, body, multipartBytes: this.settings.multipartBytes }, signal);
  }

  #completed(slot: Slot, entry: Entry): void {
    const { record } = entry.journal;
    this.counters.completed += 1;
    if (record.op === 'put') this.counters.uploadedBytes += record.byteLength;
    if (record.op === 'put' && entry.file === undefined && (record.kind === 'playlist' || record.kind === 'multivariant')) this.#playlistsUp.add(record.objectPath);
    this.#advance(slot, entry);
    this.#report('completed', entry);
    entry.file?.settled(true);
    // The service answers again: what failed for a passing reason is tried now, not at its backoff.
    this.#pausedUntil = 0;
    this.#outageFailures = 0;
    for (const other of this.#slots.values()) if (!other.running && other.current.lastTransient) other.current.notBefore = 0;
  }

  #failed(slot: Slot, entry: Entry, error: unknown): void {
    const failure = describeFailure(error);
    if (entry.file !== undefined && (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      // The local file is gone (the recording was deleted): not retried, and not a sign the service is down.
      this.#report('failed', entry, failure.message);
      this.#advance(slot, entry);
      return entry.file.settled(false);
    }
    this.counters.failedAttempts += 1;
    entry.lastTransient = failure.transient;
    const now = performance.now();
    if (failure.transient && this.#pausedUntil > now) {
      // Another attempt already found the service down: this one waits for the same probe.
      entry.notBefore = this.#pausedUntil;
    } else {
      // A down service is probed, not hammered: its backoff grows with the outage; a 4xx's with the object's attempts.
      const failures = failure.transient ? ++this.#outageFailures : entry.attempt;
      const bound = Math.min(this.settings.retryMaxMs, this.settings.retryBaseMs * 2 ** Math.min(failures - 1, 30));
      // Equal jitter: between half the bound and the bound, so servers that lost the same service do not come back together.
      entry.notBefore = now + Math.round(bound / 2 + (Math.random() * bound) / 2);
      if (failure.transient) this.#pausedUntil = entry.notBefore;
    }
    const retryInMs = Math.round(entry.notBefore - now);
    this.#report('failed', entry, failure.message, retryInMs);
    // A newer version waiting behind a failed one replaces it (the failed one is not worth a retry).
    if (slot.next !== undefined) this.#advance(slot, entry);
  }

  /** The slot's entry is done (or superseded): the next one takes its place, or the slot goes. */
  #advance(slot: Slot, entry: Entry): void {
    this.#drop(entry);
    if (slot.next !== undefined) {
      slot.current = slot.next;
      slot.next = undefined;
    } else this.#slots.delete(entry.journal.record.objectPath);
  }

  #report(outcome: UploadEvent['outcome'], entry: Entry, error?: string, retryInMs?: number): void {
    const where = { bucket: this.settings.bucket, key: bucketKey(this.settings.prefix, entry.journal.record.objectPath) };
    this.emit('upload', uploadEvent(outcome, entry.journal.record, where, entry.attempt, Math.round(performance.now() - entry.queuedAt), entry.file, error, retryInMs));
  }

  /** The journal's entries from an earlier run: the newest per object, in their order; older versions removed. */
  #resume(): void {
    const latest = new Map<string, JournalEntry>();
    for (const entry of this.journal.scan()) {
      const older = latest.get(entry.record.objectPath);
      if (older !== undefined) void this.journal.remove(older.id).catch((error: unknown) => this.#journalError(error));
      latest.set(entry.record.objectPath, entry);
    }
    for (const journal of latest.values()) {
      const { record } = journal;
      const playlist = record.op === 'put' && (record.kind === 'playlist' || record.kind === 'multivariant');
      const deps = playlist ? playlistDependencies(record.objectPath, readFileSync(join(this.journal.dir, `${journal.id}.bin`), 'latin1')) : [];
      const entry = this.#entry(journal, undefined, deps);
      entry.journaled = true;
      this.#pendingBytes += record.byteLength;
      this.#slots.set(record.objectPath, { current: entry, running: false, next: undefined });
      this.counters.resumed += 1;
    }
  }
}
