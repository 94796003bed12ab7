import { CmafError } from '../errors/index.js';
import type { Sample, Track } from '../media/index.js';
import {
  allocateOwned,
  BOX_HEADER_BYTES,
  type Brands,
  containerBox,
  encodeBoxes,
  mdatHeader,
  mfhd,
  planTrackRun,
  styp,
  tfdt,
  tfhd,
  trun,
  trunByteLength,
} from './box/index.js';

/**
 * Brands of the styp that opens a segment (ISO/IEC 14496-12 8.16.2): 'cmfs', a CMAF segment
 * (ISO/IEC 23000-19 clause 7), and 'msdh', a media segment of the ISOBMFF segment format of
 * MPEG-DASH (ISO/IEC 23009-1 6.3), as the same segments are served to HLS and DASH clients.
 */
export const CMAF_SEGMENT_BRANDS: Brands = { major: 'cmfs', minorVersion: 0, compatible: ['cmfs', 'msdh'] };

const MAX_U32 = 0xffff_ffff;

export interface FragmentInput {
  /** mfhd sequence_number (u32): 1 for a track's first fragment, then increasing (8.8.5.3). */
  readonly sequenceNumber: number;
  readonly track: Track;
  /** Non-empty, all of `track`, in decode order, with durations filled in (track ticks). */
  readonly samples: readonly Sample[];
  /** tfdt: decode time of the first sample in track ticks, normally `samples[0].dts`. */
  readonly baseMediaDecodeTime: number;
  /** Write a styp first, as the first fragment of a segment does. Default false. */
  readonly styp?: boolean;
}

/**
 * One CMAF fragment (or chunk) as a header plus the samples' own bytes: `header` is the only
 * buffer allocated, and `payloads` are the `Sample.data` views in order, so the fragment is
 * `header` followed by every payload. Send them as they are (writev, a stream of chunks) or join
 * them once with `writeFragment`.
 *
 * Lifetime: the payloads are the caller's sample views; they must not be modified while the
 * fragment is in use (the same rule as for samples everywhere in tidecast).
 */
export interface Fragment {
  /** [styp] + moof + the 8-byte mdat header. */
  readonly header: Uint8Array;
  /** The mdat payload: one view per sample, never copied. */
  readonly payloads: readonly Uint8Array[];
  /** header + payloads, in bytes. */
  readonly byteLength: number;
}

/**
 * Builds a fragment of one track.
 *
 *   styp                     only when `styp` is true (segment start): CMAF_SEGMENT_BRANDS
 *   moof
 *   ├─ mfhd                  sequence_number
 *   └─ traf
 *      ├─ tfhd               default-base-is-moof, track_ID, defaults shared by every sample
 *      ├─ tfdt v1            baseMediaDecodeTime (64-bit)
 *      └─ trun v1            data_offset → first sample byte; per sample what is not a default:
 *                            duration, size, flags (sync / non-sync), composition offset pts − dts
 *   mdat                     header only; the payloads follow
 *
 * The trun size depends only on the sample count and which fields it carries, so the moof size,
 * and with it data_offset (moof size + mdat header, counted from the moof's first byte per
 * default-base-is-moof), is known before a byte is written: one allocation, one write, no patch.
 *
 * Throws ERR_CMAF_INVALID for no samples, a sample of another track, a negative or non-integer
 * duration, a decreasing dts, a composition offset beyond 32 bits signed, or a sample or mdat
 * larger than a 32-bit size allows.
 */
export function fragment(input: FragmentInput): Fragment {
  validateFragmentInput(input);
  const { samples } = input;
  const plan = planTrackRun(samples);
  const mdat = mdatHeader(plan.payloadBytes);
  const mfhdBox = mfhd(input.sequenceNumber);
  const tfhdBox = tfhd({
    trackId: input.track.id,
    defaultSampleDuration: plan.defaultSampleDuration,
    defaultSampleSize: plan.defaultSampleSize,
    defaultSampleFlags: plan.defaultSampleFlags,
  });
  const tfdtBox = tfdt(input.baseMediaDecodeTime);
  const trafBytes = BOX_HEADER_BYTES + tfhdBox.byteLength + tfdtBox.byteLength + trunByteLength(samples.length, plan.trunFlags);
  const moofBytes = BOX_HEADER_BYTES + mfhdBox.byteLength + trafBytes;
  const trunBox = trun(samples, plan, moofBytes + mdat.byteLength);
  const moof = containerBox('moof', [mfhdBox, containerBox('traf', [tfhdBox, tfdtBox, trunBox])]);
  if (moof.byteLength !== moofBytes) {
    throw new CmafError('ERR_CMAF_INVALID', `moof is ${moof.byteLength} bytes, data_offset assumed ${moofBytes}`, {
      moofBytes: moof.byteLength,
      assumed: moofBytes,
    });
  }
  const bytes = encodeBoxes(input.styp === true ? [styp(CMAF_SEGMENT_BRANDS), moof, mdat] : [moof, mdat]);
  const payloads = samples.map((s) => s.data);
  return { header: bytes, payloads, byteLength: bytes.byteLength + plan.payloadBytes };
}

/** The fragment as one contiguous buffer (one copy of every payload), e.g. for a file. */
export function writeFragment(f: Fragment): Uint8Array {
  const out = allocateOwned(f.byteLength);
  out.set(f.header, 0);
  let at = f.header.byteLength;
  for (const p of f.payloads) {
    out.set(p, at);
    at += p.byteLength;
  }
  if (at !== f.byteLength) {
    throw new CmafError('ERR_CMAF_INVALID', `fragment parts total ${at} bytes, byteLength says ${f.byteLength}`, {
      total: at,
      byteLength: f.byteLength,
    });
  }
  return out;
}

function validateFragmentInput(input: FragmentInput): void {
  const { samples, track } = input;
  if (!isU32(input.sequenceNumber)) {
    invalid(`sequence number ${input.sequenceNumber} is not a 32-bit unsigned integer`, { sequenceNumber: input.sequenceNumber });
  }
  if (!Number.isSafeInteger(input.baseMediaDecodeTime) || input.baseMediaDecodeTime < 0) {
    invalid(`baseMediaDecodeTime ${input.baseMediaDecodeTime} is not a non-negative integer`, { baseMediaDecodeTime: input.baseMediaDecodeTime });
  }
  if (samples.length === 0) invalid(`a fragment of track ${track.id} needs at least one sample`, { trackId: track.id });
  let previousDts = -Infinity;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    const problem = sampleProblem(s, track.id, previousDts);
    if (problem !== undefined) invalid(`sample ${i} ${problem}`, { trackId: track.id, index: i, sampleTrackId: s.trackId, dts: s.dts });
    previousDts = s.dts;
  }
}

/** What is wrong with one sample, or undefined; no allocation on the path every sample takes. */
function sampleProblem(s: Sample, trackId: number, previousDts: number): string | undefined {
  if (s.trackId !== trackId) return `belongs to track ${s.trackId}, not ${trackId}`;
  if (!isU32(s.duration)) return `has duration ${s.duration}, not a 32-bit unsigned integer`;
  if (!Number.isSafeInteger(s.dts)) return `dts ${s.dts} is not an integer`;
  if (s.dts < previousDts) return `dts ${s.dts} is before the previous ${previousDts}`;
  const offset = s.pts - s.dts;
  if (!Number.isSafeInteger(offset) || offset < -0x8000_0000 || offset > 0x7fff_ffff) {
    return `composition offset ${offset} (pts ${s.pts} − dts ${s.dts}) does not fit 32 bits signed`;
  }
  if (s.data.byteLength > MAX_U32) return `is ${s.data.byteLength} bytes, beyond a 32-bit size`;
  return undefined;
}

function invalid(message: string, details: Record<string, number>): never {
  throw new CmafError('ERR_CMAF_INVALID', message, details);
}

function isU32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= MAX_U32;
}
