import { accessSync, constants, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { appendFile, open, readFile, rename, rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { invalidOption } from '../config/index.js';
import type { UploadKind } from './object-storage-plan.js';

/**
 * The upload journal: a folder of pending uploads, so a restart resumes them and waiting bytes can
 * leave memory. Each pending operation is two files named by its id:
 *
 *   <id>.bin    the object's bytes (puts only), written and fsync'ed first
 *   <id>.json   { version, op, objectPath, kind, contentType, byteLength, createdAtMs, seq, source? },
 *               written to <id>.json.tmp, fsync'ed, renamed, then the folder fsync'ed
 *   <id>.done   (a recording's entry only, whose bytes are its folder's files: `source`) the files
 *               confirmed uploaded, a line each, appended
 *
 * A `.json` names a complete entry: its `.bin` was on disk before the rename. An entry is removed
 * (json first, then bin) once uploaded or replaced by a newer version of its object. At start the
 * folder is scanned: stray `.bin` and `.tmp` files (a crash mid-write) are removed, the entries
 * come back in the order they were made. The object path is kept without the prefix and bucket,
 * which are the configuration's at the time of the upload.
 */

export interface JournalRecord {
  readonly version: 1;
  readonly op: 'put' | 'delete';
  /** `<app>/<key>/...`, under the prefix. */
  readonly objectPath: string;
  readonly kind: UploadKind;
  readonly contentType: string;
  readonly byteLength: number;
  readonly createdAtMs: number;
  /** Order among entries of the same millisecond (a counter of the writing process). */
  readonly seq: number;
  /** A put whose bytes are a local file or folder (a finished recording's), not `<id>.bin`. */
  readonly source?: string;
}

export interface JournalEntry {
  readonly id: string;
  readonly record: JournalRecord;
}

export class UploadJournal {
  readonly dir: string;
  #seq = 0;

  /** Creates the folder if needed (sync, at start: an unwritable path refuses the configuration at once). */
  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  }

  /** The journal in `dir`, or ERR_CONFIG_INVALID naming `option`, the folder and why it cannot be used. */
  static open(dir: string, option: string): UploadJournal {
    try {
      return new UploadJournal(dir);
    } catch (error) {
      throw invalidOption(option, 'a folder this process can create and write', `${JSON.stringify(dir)} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }

  /** A new entry's id and record; nothing is written yet. */
  newEntry(op: JournalRecord['op'], objectPath: string, kind: UploadKind, contentType: string, byteLength: number, nowMs: number, source?: string): JournalEntry {
    const seq = this.#seq++;
    const id = `${nowMs.toString().padStart(14, '0')}-${process.pid}-${seq}`;
    return { id, record: { version: 1, op, objectPath, kind, contentType, byteLength, createdAtMs: nowMs, seq, ...(source === undefined ? {} : { source }) } };
  }

  /** Writes the entry's bytes (for a put) and record durably; resolves once both are on disk. */
  async write(entry: JournalEntry, pieces: readonly Uint8Array[] | undefined): Promise<void> {
    if (pieces !== undefined) await writeSynced(this.#path(entry.id, '.bin'), pieces);
    const tmp = this.#path(entry.id, '.json.tmp');
    await writeSynced(tmp, [Buffer.from(JSON.stringify(entry.record))]);
    await rename(tmp, this.#path(entry.id, '.json'));
    await syncFolder(this.dir);
  }

  /** The bytes of a put entry. */
  read(id: string): Promise<Buffer> {
    return readFile(this.#path(id, '.bin'));
  }

  /** Removes an entry (uploaded, or replaced): its record first, so a crash in between leaves only a stray .bin (or .done). */
  async remove(id: string): Promise<void> {
    await rm(this.#path(id, '.json'), { force: true });
    await rm(this.#path(id, '.bin'), { force: true });
    await rm(this.#path(id, '.done'), { force: true });
  }

  /**
   * An entry's progress (a recording's files confirmed in the bucket): lines appended to
   * `<id>.done`, not synced (a line lost to a crash is one file uploaded again).
   */
  addDone(id: string, line: string): Promise<void> {
    return appendFile(this.#path(id, '.done'), `${line}\n`);
  }

  /** The lines of an entry's `<id>.done` (none when it has none). */
  readDone(id: string): Set<string> {
    const path = this.#path(id, '.done');
    return new Set(existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l !== '') : []);
  }

  /**
   * The entries left by an earlier run, oldest first; stray and unreadable files are removed (an
   * entry whose record cannot be read was never complete). Sync: it runs once, at start.
   */
  scan(): JournalEntry[] {
    // Files only: a folder in it is another journal's (object-storage-recordings.ts keeps `recordings/`).
    const names = readdirSync(this.dir, { withFileTypes: true }).filter((e) => !e.isDirectory()).map((e) => e.name);
    const ids = new Set(names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length)));
    const entries: JournalEntry[] = [];
    for (const id of ids) {
      const record = parseRecord(readFileSync(this.#path(id, '.json'), 'utf8'));
      if (record !== undefined && (record.op === 'delete' || record.source !== undefined || names.includes(`${id}.bin`))) entries.push({ id, record });
      else ids.delete(id);
    }
    for (const name of names) {
      const id = name.replace(/\.(bin|json|json\.tmp|done)$/, '');
      if (!ids.has(id)) rmSync(join(this.dir, name), { force: true });
    }
    // Resumed entries keep their order; a new entry's seq continues after theirs within the same ms.
    this.#seq = entries.reduce((max, e) => Math.max(max, e.record.seq + 1), this.#seq);
    return entries.sort((a, b) => a.record.createdAtMs - b.record.createdAtMs || a.record.seq - b.record.seq);
  }

  #path(id: string, suffix: string): string {
    return join(this.dir, `${id}${suffix}`);
  }
}

async function writeSynced(path: string, pieces: readonly Uint8Array[]): Promise<void> {
  const handle = await open(path, 'w');
  try {
    let at = 0;
    // writev may write less than asked on some file systems: go on from where it stopped.
    const total = pieces.reduce((sum, p) => sum + p.byteLength, 0);
    while (at < total) {
      const { bytesWritten } = await handle.writev(remainder(pieces, at));
      at += bytesWritten;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function remainder(pieces: readonly Uint8Array[], from: number): Uint8Array[] {
  if (from === 0) return [...pieces];
  const out: Uint8Array[] = [];
  let skip = from;
  for (const piece of pieces) {
    if (skip >= piece.byteLength) skip -= piece.byteLength;
    else {
      out.push(skip === 0 ? piece : piece.subarray(skip));
      skip = 0;
    }
  }
  return out;
}

/** A rename is durable once the folder is fsync'ed (POSIX leaves it to the directory entry's own flush). */
async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a folder (EINVAL, EISDIR on Windows): the rename stands.
  } finally {
    await handle.close();
  }
}

const KINDS: readonly string[] = ['segment', 'init', 'playlist', 'multivariant', 'manifest', 'info', 'recording'];

function parseRecord(text: string): JournalRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<JournalRecord>;
    const ok =
      r.version === 1 &&
      (r.op === 'put' || r.op === 'delete') &&
      typeof r.objectPath === 'string' &&
      r.objectPath.split('/').every((p) => p !== '' && p !== '.' && p !== '..') &&
      typeof r.kind === 'string' &&
      KINDS.includes(r.kind) &&
      typeof r.contentType === 'string' &&
      Number.isSafeInteger(r.byteLength) &&
      Number.isSafeInteger(r.createdAtMs) &&
      Number.isSafeInteger(r.seq) &&
      (r.source === undefined || (typeof r.source === 'string' && isAbsolute(r.source)));
    return ok ? (r as JournalRecord) : undefined;
  } catch {
    return undefined;
  }
}
