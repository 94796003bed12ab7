import type { Fragment, SegmenterSegment } from '../cmaf/index.js';
import type { Sample } from '../media/index.js';
import type { StoredFile } from '../store/index.js';

/**
 * A segment's samples and its file's pieces, shared by the VOD and the live packager. Plain loops,
 * not `parts.flatMap` and `[header, ...payloads]`: V8 runs both in its runtime, and they took a
 * tenth of packaging time (docs/benchmarks.md).
 */

/** The segment's samples in order (the part's own array when there is one part). */
export function segmentSamples(segment: SegmenterSegment): readonly Sample[] {
  if (segment.parts.length === 1) return segment.parts[0]!.samples;
  const samples: Sample[] = [];
  for (const part of segment.parts) for (const sample of part.samples) samples.push(sample);
  return samples;
}

/** The fragment header, then every sample payload: zero-copy pieces of the segment file. */
export function fragmentPieces(f: Fragment): Uint8Array[] {
  const pieces = new Array<Uint8Array>(f.payloads.length + 1);
  pieces[0] = f.header;
  for (let i = 0; i < f.payloads.length; i++) pieces[i + 1] = f.payloads[i]!;
  return pieces;
}

/**
 * LL-HLS: a segment written as its parts' fragments, one after another (CMAF: a segment of several
 * fragments) — the parts' own pieces, nothing copied.
 */
export function joinedFragmentsFile(fragments: readonly Fragment[], contentType: string): StoredFile {
  const pieces: Uint8Array[] = [];
  let byteLength = 0;
  for (const f of fragments) {
    pieces.push(f.header);
    for (const payload of f.payloads) pieces.push(payload);
    byteLength += f.byteLength;
  }
  return { pieces, byteLength, contentType };
}
