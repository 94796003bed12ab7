import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * What a recording folder says about itself (docs/recording.md): its recording.json, written by the
 * recorder (recorder.ts) atomically at start, on segments and at the end, read back by the
 * recordings API, the VOD serving and the start-up repair.
 */

export interface RecordingRendition {
  name: string;
  kind: 'video' | 'audio';
  codecs: string;
  bandwidth: number;
  width?: number;
  height?: number;
  frameRate?: number;
  sampleRate?: number;
  channels?: number;
}

export interface RecordingInfo {
  version: 1;
  /** The folder relative to the recordings dir, '/'-separated (the path template expanded). */
  id: string;
  app: string;
  streamKey: string;
  startedAtMs: number;
  /** Null while recording (or after a crash, until the start-up scan repairs it). */
  endedAtMs: number | null;
  /** 'recovered': the server died while recording; the start-up scan closed what it had. */
  state: 'recording' | 'complete' | 'recovered';
  durationSeconds: number;
  bytes: number;
  renditions: RecordingRendition[];
}

/** The file in each recording's folder that makes it one. */
export const RECORDING_INFO_FILE = 'recording.json';

/**
 * 16 folders: the default template is 3 deep (`%app/%key/<time>`); a template with more levels
 * still fits, and a symlink loop or a hostile tree cannot keep the scan going.
 */
export const MAX_RECORDING_DEPTH = 16;

/** Every recording under dir (its recording.json), newest first; a folder without a readable recording.json is skipped. */
export async function scanRecordings(dir: string): Promise<RecordingInfo[]> {
  const found: RecordingInfo[] = [];
  await walk(dir, [], found);
  return found.sort((a, b) => b.startedAtMs - a.startedAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

async function walk(dir: string, segments: string[], found: RecordingInfo[]): Promise<void> {
  if (segments.length > MAX_RECORDING_DEPTH) return;
  const folder = path.join(dir, ...segments);
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return;
  }
  if (entries.some((entry) => entry.isFile() && entry.name === RECORDING_INFO_FILE)) {
    const info = await readRecordingInfo(folder);
    // A recording's sub-folders are its renditions, never other recordings.
    if (info !== undefined) found.push({ ...info, id: segments.join('/') });
    return;
  }
  // Symlinks are not followed (isDirectory() is false for them): the scan stays under dir.
  for (const entry of entries) if (entry.isDirectory() && !entry.name.startsWith('.')) await walk(dir, [...segments, entry.name], found);
}

/** A folder's recording.json, or undefined when it is missing, unreadable or not a version 1 record. */
export async function readRecordingInfo(folder: string): Promise<RecordingInfo | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path.join(folder, RECORDING_INFO_FILE), 'utf8'));
    return isRecordingInfo(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The folder of a recording id under dir, or undefined when the id is not a safe relative path. */
export function recordingFolder(dir: string, id: string): string | undefined {
  if (id.length === 0 || id.length > 4096 || id.includes('\\') || id.includes('\0')) return undefined;
  const segments = id.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..' || segment.startsWith('.'))) return undefined;
  if (segments.length > MAX_RECORDING_DEPTH + 1) return undefined;
  const root = path.resolve(dir);
  const folder = path.resolve(root, ...segments);
  return folder.startsWith(root + path.sep) ? folder : undefined;
}

const STATES: ReadonlySet<unknown> = new Set(['recording', 'complete', 'recovered']);

function isRecordingInfo(value: unknown): value is RecordingInfo {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.version === 1 && typeof v.id === 'string' && typeof v.app === 'string' && typeof v.streamKey === 'string'
    && isCount(v.startedAtMs) && (v.endedAtMs === null || isCount(v.endedAtMs)) && STATES.has(v.state)
    && isCount(v.durationSeconds) && isCount(v.bytes) && Array.isArray(v.renditions) && v.renditions.every(isRendition);
}

function isRendition(value: unknown): value is RecordingRendition {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  const optional = (key: string): boolean => r[key] === undefined || isCount(r[key]);
  return typeof r.name === 'string' && (r.kind === 'video' || r.kind === 'audio') && typeof r.codecs === 'string' && isCount(r.bandwidth)
    && optional('width') && optional('height') && optional('frameRate') && optional('sampleRate') && optional('channels');
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
