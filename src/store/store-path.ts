import { TidecastError } from '../errors/index.js';

/**
 * Store paths come from packagers (rendition names, sequence numbers) and, through HTTP, from
 * request URLs, so a store treats every path as untrusted: a DiskStore joins it to its root, and
 * '..' or an absolute path would reach outside it. Only a small character set is allowed — what
 * tidecast itself writes (`video/init-0.mp4`, `audio/12.m4s`, `index.m3u8`) plus '_' and '-' —
 * and no segment may start with '.', which also keeps DiskStore's temporary files (dot-names)
 * out of reach.
 */

/** Longest path accepted, in characters: far above what a packager writes, well below PATH_MAX (4096). */
export const MAX_STORE_PATH_LENGTH = 1024;

/** One path segment: starts with a letter, digit, '_' or '-'; then also '.'; at most 255 (NAME_MAX). */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$/;

/** Whether `segment` may be one '/'-separated part of a store path (HTTP checks requests with it too). */
export function isStorePathSegment(segment: string): boolean {
  return SEGMENT.test(segment);
}

/** A store path that cannot be used; `details.path` and `details.reason` say what failed. */
export class StorePathError extends TidecastError {
  constructor(path: string, reason: string) {
    super('ERR_STORE_PATH_INVALID', `store path ${JSON.stringify(path.slice(0, 80))} ${reason}`, { path: path.slice(0, MAX_STORE_PATH_LENGTH), reason });
  }
}

/** Returns `path` if it is a valid store path, else throws StorePathError. */
export function checkStorePath(path: string): string {
  if (typeof path !== 'string' || path.length === 0) throw new StorePathError(String(path), 'is empty');
  if (path.length > MAX_STORE_PATH_LENGTH) throw new StorePathError(path, `is longer than ${MAX_STORE_PATH_LENGTH} characters`);
  if (path.startsWith('/')) throw new StorePathError(path, 'is absolute');
  for (const segment of path.split('/')) {
    if (segment === '..' || segment === '.') throw new StorePathError(path, `has a '${segment}' segment`);
    if (!isStorePathSegment(segment)) throw new StorePathError(path, `has a segment ${JSON.stringify(segment.slice(0, 40))} outside [A-Za-z0-9._-] (or empty, or starting with '.')`);
  }
  return path;
}

/** A list prefix: '' or a path, optionally ending in '/'. */
export function checkStorePrefix(prefix: string): string {
  if (prefix === '') return prefix;
  checkStorePath(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}
