import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MOVIE_TIMESCALE } from '../cmaf/index.js';
import { encodeBoxes, ftyp } from '../cmaf/box/index.js';
import type { ExportPlan } from './recordings-export.js';
import { boxBytes, child, concat, fullBoxBytes, listBoxes, malformed, required, view, type BoxRef } from './recordings-mp4.js';

/**
 * An export as a progressive MP4 (`format=mp4`): the same samples as the fragmented export
 * (recordings-export.ts), with one moov whose sample tables list them all, ahead of one mdat, so
 * a player or an editor that knows nothing of fragments reads it (ISO/IEC 14496-12 8.6, 8.7).
 *
 *   ftyp   isom iso2 mp41
 *   moov
 *   ├─ mvhd                        the export's duration
 *   └─ trak …                      each init segment's, tkhd/mdhd durations set, track_ID 1..n
 *      ├─ edts/elst                an empty edit when the track starts after time 0 (8.6.6)
 *      └─ … stbl                   stsd kept; stts ctts stss stsz stsc stco|co64 written
 *   mdat   the fragments' payloads, one chunk per fragment, in decode-time order
 *
 * Two passes over the segments: the first reads every trun (8.8.8) into the tables, so the moov,
 * and with it every chunk offset, is known before the first byte goes out; the second sends the
 * payloads. The file's length is known up front (Content-Length).
 */

/** A fragment's samples (8.8.7 tfhd defaults, 8.8.8 trun), and where their bytes are in the segment. */
interface RunSamples {
  readonly decodeTicks: number;
  readonly sizes: number[];
  readonly durations: number[];
  readonly sync: boolean[];
  readonly offsets: number[];
  readonly dataStart: number;
  readonly dataEnd: number;
}

/** 8.8.7.1 tf_flags and 8.8.8.1 tr_flags read here. */
const TFHD_BASE_DATA_OFFSET = 0x01;
const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x02;
const TFHD_DEFAULT_DURATION = 0x08;
const TFHD_DEFAULT_SIZE = 0x10;
const TFHD_DEFAULT_FLAGS = 0x20;
const TRUN_DATA_OFFSET = 0x001;
const TRUN_FIRST_SAMPLE_FLAGS = 0x004;
const TRUN_DURATION = 0x100;
const TRUN_SIZE = 0x200;
const TRUN_FLAGS = 0x400;
const TRUN_COMPOSITION_OFFSET = 0x800;
/** 8.8.3.1 sample_is_non_sync_sample. */
const NON_SYNC = 0x0001_0000;

/** The samples of each moof of a segment (one traf, one trun each, as the packager writes them). */
export function fragmentSamples(segment: Uint8Array): RunSamples[] {
  const v = view(segment);
  const out: RunSamples[] = [];
  for (const moof of listBoxes(segment).filter((b) => b.type === 'moof')) {
    const traf = required(child(segment, moof, 'traf'), 'traf');
    const tfhd = required(child(segment, traf, 'tfhd'), 'tfhd');
    const tfdt = required(child(segment, traf, 'tfdt'), 'tfdt');
    const trun = required(child(segment, traf, 'trun'), 'trun');
    let at = 0;
    const u32 = (): number => {
      at += 4;
      return v.getUint32(at - 4);
    };
    const i32 = (): number => {
      at += 4;
      return v.getInt32(at - 4);
    };
    const tfFlags = v.getUint32(tfhd.body) & 0xff_ffff;
    at = tfhd.body + 8; // after track_ID
    if (tfFlags & TFHD_BASE_DATA_OFFSET) throw malformed("a tfhd with base-data-offset (not the packager's fragments)");
    if (tfFlags & TFHD_SAMPLE_DESCRIPTION_INDEX) at += 4;
    const defaultDuration = tfFlags & TFHD_DEFAULT_DURATION ? u32() : 0;
    const defaultSize = tfFlags & TFHD_DEFAULT_SIZE ? u32() : 0;
    const defaultFlags = tfFlags & TFHD_DEFAULT_FLAGS ? u32() : 0;
    const version1 = segment[trun.body] === 1;
    const trFlags = v.getUint32(trun.body) & 0xff_ffff;
    const count = v.getUint32(trun.body + 4);
    at = trun.body + 8;
    const dataOffset = trFlags & TRUN_DATA_OFFSET ? i32() : 0;
    const firstFlags = trFlags & TRUN_FIRST_SAMPLE_FLAGS ? u32() : undefined;
    const run: RunSamples = { decodeTicks: tfdtValue(segment, tfdt), sizes: [], durations: [], sync: [], offsets: [], dataStart: moof.start + dataOffset, dataEnd: 0 };
    let bytes = 0;
    for (let i = 0; i < count && at <= trun.end; i++) {
      run.durations.push(trFlags & TRUN_DURATION ? u32() : defaultDuration);
      const size = trFlags & TRUN_SIZE ? u32() : defaultSize;
      run.sizes.push(size);
      bytes += size;
      const flags = trFlags & TRUN_FLAGS ? u32() : i === 0 && firstFlags !== undefined ? firstFlags : defaultFlags;
      run.sync.push((flags & NON_SYNC) === 0);
      // Version 0 offsets are unsigned, version 1 signed (8.8.8.2).
      run.offsets.push(trFlags & TRUN_COMPOSITION_OFFSET ? (version1 ? i32() : u32()) : 0);
    }
    if (at > trun.end || run.sizes.length !== count || run.dataStart + bytes > segment.byteLength) throw malformed(`a trun of ${count} samples that does not fit its boxes`);
    out.push({ ...run, dataEnd: run.dataStart + bytes });
  }
  return out;
}

function tfdtValue(segment: Uint8Array, tfdt: BoxRef): number {
  const v = view(segment);
  return segment[tfdt.body] === 1 ? Number(v.getBigUint64(tfdt.body + 4)) : v.getUint32(tfdt.body + 4);
}

/** One track's sample tables as they fill. */
interface Tables {
  readonly sizes: number[];
  readonly durations: number[];
  readonly sync: boolean[];
  readonly offsets: number[];
  /** Per chunk: its sample count and its payload's length (its offset comes once the moov's size is known). */
  readonly chunks: Array<{ samples: number; bytes: number }>;
  /** Chunk indexes in file order are global: this track's chunks' positions there. */
  readonly chunkOrder: number[];
}

export interface ProgressivePlan {
  readonly header: Uint8Array;
  readonly byteLength: number;
  /** Per media sequence number, the payload ranges in file order: [track index, start, end]. */
  readonly order: ReadonlyArray<{ msn: number; ranges: Array<[number, number, number]> }>;
}

/** The first pass: every trun read, the moov built. */
export async function planProgressive(plan: ExportPlan): Promise<ProgressivePlan> {
  const tables: Tables[] = plan.tracks.map(() => ({ sizes: [], durations: [], sync: [], offsets: [], chunks: [], chunkOrder: [] }));
  const order: Array<{ msn: number; ranges: Array<[number, number, number]> }> = [];
  const chunkBytes: number[] = [];
  for (const msn of plan.msns) {
    const runs: Array<{ track: number; run: RunSamples; seconds: number }> = [];
    for (const [i, track] of plan.tracks.entries()) {
      const segment = track.segments.get(msn);
      if (segment === undefined) continue;
      for (const run of fragmentSamples(await readFile(path.join(plan.folder, track.rendition.name, segment.uri)))) runs.push({ track: i, run, seconds: run.decodeTicks / track.timescale });
    }
    runs.sort((a, b) => a.seconds - b.seconds);
    const ranges: Array<[number, number, number]> = [];
    for (const { track, run } of runs) {
      const t = tables[track]!;
      t.sizes.push(...run.sizes);
      t.durations.push(...run.durations);
      t.sync.push(...run.sync);
      t.offsets.push(...run.offsets);
      t.chunks.push({ samples: run.sizes.length, bytes: run.dataEnd - run.dataStart });
      t.chunkOrder.push(chunkBytes.length);
      chunkBytes.push(run.dataEnd - run.dataStart);
      ranges.push([track, run.dataStart, run.dataEnd]);
    }
    order.push({ msn, ranges });
  }
  const payload = chunkBytes.reduce((n, b) => n + b, 0);
  const brands = encodeBoxes([ftyp({ major: 'isom', minorVersion: 512, compatible: ['isom', 'iso2', 'mp41'] })]);
  // 4.2: an mdat past 4 GiB needs the 64-bit largesize, and its chunks 64-bit offsets (co64).
  const large = payload + 16 > 0xffff_ffff - 1024 * 1024;
  const mdatHeaderBytes = large ? 16 : 8;
  const build = (firstChunkAt: number): Uint8Array => {
    const offsets: number[] = [];
    let at = firstChunkAt;
    for (const b of chunkBytes) {
      offsets.push(at);
      at += b;
    }
    return movie(plan, tables, offsets, large);
  };
  const sized = build(0);
  const moov = build(brands.byteLength + sized.byteLength + mdatHeaderBytes);
  const mdat = new Uint8Array(mdatHeaderBytes);
  const v = view(mdat);
  v.setUint32(0, large ? 1 : payload + 8);
  mdat.set([0x6d, 0x64, 0x61, 0x74], 4);
  if (large) v.setBigUint64(8, BigInt(payload + 16));
  const header = concat([brands, moov, mdat]);
  return { header, byteLength: header.byteLength + payload, order };
}

/** The second pass: the header, then each chunk's bytes in the planned order. */
export async function* progressiveBytes(plan: ExportPlan, progressive: ProgressivePlan): AsyncGenerator<Uint8Array> {
  yield progressive.header;
  for (const { msn, ranges } of progressive.order) {
    const segments = new Map<number, Uint8Array>();
    for (const [track, start, end] of ranges) {
      let bytes = segments.get(track);
      if (bytes === undefined) {
        const t = plan.tracks[track]!;
        bytes = await readFile(path.join(plan.folder, t.rendition.name, t.segments.get(msn)!.uri));
        segments.set(track, bytes);
      }
      yield bytes.subarray(start, end);
    }
  }
}

function movie(plan: ExportPlan, tables: readonly Tables[], chunkOffsets: readonly number[], large: boolean): Uint8Array {
  const durationsMs = plan.tracks.map((t, i) => {
    const ticks = tables[i]!.durations.reduce((n, d) => n + d, 0);
    return Math.round(((ticks + t.firstTicks - t.shiftTicks) / t.timescale) * MOVIE_TIMESCALE);
  });
  const movieMs = Math.max(...durationsMs);
  const first = plan.tracks[0]!.init;
  const mvhd = first.slice(...span(required(child(first, required(listBoxes(first).find((b) => b.type === 'moov'), 'moov'), 'mvhd'), 'mvhd')));
  view(mvhd).setUint32(12 + (mvhd[8] === 1 ? 16 : 8), MOVIE_TIMESCALE);
  setDuration(mvhd, 'mvhd', movieMs);
  view(mvhd).setUint32(mvhd.byteLength - 4, plan.tracks.length + 1);
  const traks = plan.tracks.map((t, i) => trak(t.init, i + 1, tables[i]!, chunkOffsets, large, {
    mediaTicks: tables[i]!.durations.reduce((n, d) => n + d, 0),
    delayMs: Math.round(((t.firstTicks - t.shiftTicks) / t.timescale) * MOVIE_TIMESCALE),
    trackMs: Math.round((tables[i]!.durations.reduce((n, d) => n + d, 0) / t.timescale) * MOVIE_TIMESCALE),
  }));
  return boxBytes('moov', [mvhd, ...traks]);
}

function span(box: BoxRef): [number, number] {
  return [box.start, box.end];
}

/** mvhd (8.2.2), tkhd (8.3.2) and mdhd (8.4.2) durations, by version; the timescale is the box's own. */
function setDuration(box: Uint8Array, type: 'mvhd' | 'tkhd' | 'mdhd', value: number): void {
  const v = view(box);
  const version1 = box[8] === 1;
  // After version/flags: creation, modification (4 or 8 each), then timescale (mvhd, mdhd) or track_ID + reserved (tkhd).
  const at = 12 + (version1 ? 16 : 8) + (type === 'tkhd' ? 8 : 4);
  if (version1) v.setBigUint64(at, BigInt(value));
  else v.setUint32(at, Math.min(value, 0xffff_ffff));
}

/** The init segment's trak with this export's id, durations, edit and sample tables. */
function trak(init: Uint8Array, trackId: number, t: Tables, chunkOffsets: readonly number[], large: boolean, times: { mediaTicks: number; delayMs: number; trackMs: number }): Uint8Array {
  const moov = required(listBoxes(init).find((b) => b.type === 'moov'), 'moov');
  const trakBox = required(child(init, moov, 'trak'), 'trak');
  const mdia = required(child(init, trakBox, 'mdia'), 'mdia');
  const minf = required(child(init, mdia, 'minf'), 'minf');
  const stbl = required(child(init, minf, 'stbl'), 'stbl');
  const tkhd = init.slice(...span(required(child(init, trakBox, 'tkhd'), 'tkhd')));
  view(tkhd).setUint32(12 + (tkhd[8] === 1 ? 16 : 8), trackId);
  setDuration(tkhd, 'tkhd', times.delayMs + times.trackMs);
  // A container's children as they are, but for the ones rebuilt.
  const copies = (parent: BoxRef, replace: Record<string, Uint8Array>): Uint8Array[] => listBoxes(init, parent.body, parent.end).map((b) => replace[b.type] ?? init.slice(b.start, b.end));
  const mdhd = init.slice(...span(required(child(init, mdia, 'mdhd'), 'mdhd')));
  setDuration(mdhd, 'mdhd', times.mediaTicks);
  const stsd = init.slice(...span(required(child(init, stbl, 'stsd'), 'stsd')));
  const tables = [stsd, stts(t.durations), ...(t.offsets.some((o) => o !== 0) ? [ctts(t.offsets)] : []), ...(t.sync.every(Boolean) ? [] : [stss(t.sync)]), stsz(t.sizes), stsc(t.chunks), chunkOffsetBox(t.chunkOrder.map((c) => chunkOffsets[c]!), large)];
  const newMinf = boxBytes('minf', copies(minf, { stbl: boxBytes('stbl', tables) }));
  const newMdia = boxBytes('mdia', copies(mdia, { mdhd, minf: newMinf }));
  const edits = times.delayMs > 0 ? [boxBytes('edts', [elst(times.delayMs, times.trackMs)])] : [];
  return boxBytes('trak', [tkhd, ...edits, newMdia]);
}

/** 8.6.6 EditListBox: `delayMs` of nothing (media_time −1), then the whole media. */
function elst(delayMs: number, trackMs: number): Uint8Array {
  return fullBoxBytes('elst', 0, 4 + 2 * 12, (v, at) => {
    v.setUint32(at, 2);
    v.setUint32(at + 4, delayMs);
    v.setInt32(at + 8, -1);
    v.setUint32(at + 12, 0x0001_0000);
    v.setUint32(at + 16, trackMs);
    v.setInt32(at + 20, 0);
    v.setUint32(at + 24, 0x0001_0000);
  });
}

/** Runs of equal values: [count, value]. */
function runs(values: readonly number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const value of values) {
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === value) last[0] += 1;
    else out.push([1, value]);
  }
  return out;
}

/** 8.6.1.2 TimeToSampleBox. */
function stts(durations: readonly number[]): Uint8Array {
  const entries = runs(durations);
  return fullBoxBytes('stts', 0, 4 + 8 * entries.length, (v, at) => {
    v.setUint32(at, entries.length);
    entries.forEach(([count, delta], i) => {
      v.setUint32(at + 4 + 8 * i, count);
      v.setUint32(at + 8 + 8 * i, delta);
    });
  });
}

/** 8.6.1.3 CompositionOffsetBox, version 1: signed offsets, as the fragments' trun v1 has them. */
function ctts(offsets: readonly number[]): Uint8Array {
  const entries = runs(offsets);
  return fullBoxBytes('ctts', 1, 4 + 8 * entries.length, (v, at) => {
    v.setUint32(at, entries.length);
    entries.forEach(([count, offset], i) => {
      v.setUint32(at + 4 + 8 * i, count);
      v.setInt32(at + 8 + 8 * i, offset);
    });
  });
}

/** 8.6.2 SyncSampleBox: the 1-based numbers of the sync samples. */
function stss(sync: readonly boolean[]): Uint8Array {
  const numbers = sync.flatMap((s, i) => (s ? [i + 1] : []));
  return fullBoxBytes('stss', 0, 4 + 4 * numbers.length, (v, at) => {
    v.setUint32(at, numbers.length);
    numbers.forEach((n, i) => v.setUint32(at + 4 + 4 * i, n));
  });
}

/** 8.7.3.2 SampleSizeBox, a size per sample. */
function stsz(sizes: readonly number[]): Uint8Array {
  return fullBoxBytes('stsz', 0, 8 + 4 * sizes.length, (v, at) => {
    v.setUint32(at, 0);
    v.setUint32(at + 4, sizes.length);
    sizes.forEach((s, i) => v.setUint32(at + 8 + 4 * i, s));
  });
}

/** 8.7.4 SampleToChunkBox: a run per change of samples per chunk, sample description 1. */
function stsc(chunks: ReadonlyArray<{ samples: number }>): Uint8Array {
  const entries: Array<[number, number]> = [];
  chunks.forEach((c, i) => {
    if (entries[entries.length - 1]?.[1] !== c.samples) entries.push([i + 1, c.samples]);
  });
  return fullBoxBytes('stsc', 0, 4 + 12 * entries.length, (v, at) => {
    v.setUint32(at, entries.length);
    entries.forEach(([firstChunk, samples], i) => {
      v.setUint32(at + 4 + 12 * i, firstChunk);
      v.setUint32(at + 8 + 12 * i, samples);
      v.setUint32(at + 12 + 12 * i, 1);
    });
  });
}

/** 8.7.5 ChunkOffsetBox, or ChunkLargeOffsetBox past 4 GiB. */
function chunkOffsetBox(offsets: readonly number[], large: boolean): Uint8Array {
  return fullBoxBytes(large ? 'co64' : 'stco', 0, 4 + (large ? 8 : 4) * offsets.length, (v, at) => {
    v.setUint32(at, offsets.length);
    offsets.forEach((o, i) => (large ? v.setBigUint64(at + 4 + 8 * i, BigInt(o)) : v.setUint32(at + 4 + 4 * i, o)));
  });
}
