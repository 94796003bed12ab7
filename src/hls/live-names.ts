/**
 * The names of a live rendition's objects, relative to its folder, and their parser:
 *
 *   without an epoch          with epoch E (cluster mode)
 *   init-<generation>.mp4     e<E>-init-<generation>.mp4    CMAF header
 *   <msn>.m4s                 e<E>-<msn>.m4s                CMAF segment
 *   <msn>.<index>.m4s         e<E>-<msn>.<index>.m4s        LL-HLS part
 *
 * The epoch is the stream's fencing token in the cluster registry (src/cluster, raised by every
 * claim): two origins that packaged the same stream never write the same name, so a cache that
 * keeps immutable objects for long (docs/cluster.md "Object names") never serves one origin's
 * `init-0.mp4` with another's segments, nor a stale owner's `12.m4s` in place of the new owner's.
 * Playlist names (`index.m3u8`, `plain.m3u8`) carry no epoch: players keep reloading one URL.
 */

/** `e<epoch>-`, or nothing without an epoch. */
export function epochPrefix(epoch: number | undefined): string {
  return epoch === undefined ? '' : `e${epoch}-`;
}

/** `{ epoch }`, or nothing without one: objects without an epoch keep their shape of before. */
export function epochField(epoch: number | undefined): { readonly epoch?: number } {
  return epoch === undefined ? {} : { epoch };
}

export function initUri(generation: number, epoch?: number): string {
  return `${epochPrefix(epoch)}init-${generation}.mp4`;
}

export function segmentUri(msn: number, epoch?: number): string {
  return `${epochPrefix(epoch)}${msn}.m4s`;
}

/** URI of a part: `<msn>.<index>.m4s`, next to its segment `<msn>.m4s` (both with the same prefix). */
export function partUri(msn: number, index: number, epoch?: number): string {
  return `${epochPrefix(epoch)}${msn}.${index}.m4s`;
}

/** A live object name, parsed; `epoch` only when the name has the prefix. */
export type LiveObjectName =
  | { readonly kind: 'init'; readonly generation: number; readonly epoch?: number }
  | { readonly kind: 'segment'; readonly msn: number; readonly epoch?: number }
  | { readonly kind: 'part'; readonly msn: number; readonly index: number; readonly epoch?: number };

/** An epoch is a safe integer: at most 16 digits, no leading zero (one spelling per name). */
const EPOCH = '(?:e(0|[1-9]\\d{0,15})-)?';
const INIT_NAME = new RegExp(`^${EPOCH}init-(0|[1-9]\\d{0,14})\\.mp4$`);
const SEGMENT_NAME = new RegExp(`^${EPOCH}(0|[1-9]\\d{0,15})\\.m4s$`);
const PART_NAME = new RegExp(`^${EPOCH}(0|[1-9]\\d{0,14})\\.(0|[1-9]\\d{0,5})\\.m4s$`);

/** The name of an init segment, segment or part back to its numbers; undefined for any other name. */
export function parseLiveObjectName(name: string): LiveObjectName | undefined {
  let m = SEGMENT_NAME.exec(name);
  if (m !== null) return withEpoch({ kind: 'segment', msn: Number(m[2]) }, m[1]);
  m = PART_NAME.exec(name);
  if (m !== null) return withEpoch({ kind: 'part', msn: Number(m[2]), index: Number(m[3]) }, m[1]);
  m = INIT_NAME.exec(name);
  return m === null ? undefined : withEpoch({ kind: 'init', generation: Number(m[2]) }, m[1]);
}

/** `<msn>.<index>.m4s` (with or without an epoch prefix) back to its numbers; undefined for any other name. */
export function parsePartUri(name: string): { msn: number; index: number; epoch?: number } | undefined {
  const m = PART_NAME.exec(name);
  return m === null ? undefined : withEpoch({ msn: Number(m[2]), index: Number(m[3]) }, m[1]);
}

/** `<msn>.m4s` (with or without an epoch prefix) back to its number; undefined for any other name. */
export function parseSegmentUri(name: string): { msn: number; epoch?: number } | undefined {
  const m = SEGMENT_NAME.exec(name);
  return m === null ? undefined : withEpoch({ msn: Number(m[2]) }, m[1]);
}

/** Beyond a safe integer the number read would not be the one written: no packager made that name. */
function withEpoch<T extends object>(value: T, epoch: string | undefined): (T & { epoch?: number }) | undefined {
  if (epoch === undefined) return value;
  const n = Number(epoch);
  return Number.isSafeInteger(n) ? { ...value, epoch: n } : undefined;
}
