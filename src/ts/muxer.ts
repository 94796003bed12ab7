import { MediaError } from '../errors/index.js';
import type { Sample, Track } from '../media/index.js';
import { adtsConfig, groupAudioFrames, type AdtsConfig } from './adts.js';
import { annexBConfig, annexBPieces, type AnnexBConfig } from './annex-b.js';
import { ContinuityCounters, packetCount, TS_PACKET_BYTES, writePackets, type AdaptationFields, type PacketRun } from './packet.js';
import { AUDIO_STREAM_ID, pesHeader, to90kHz, VIDEO_STREAM_ID } from './pes.js';
import { MAX_PMT_STREAMS, PAT_PID, patPayload, pmtPayload, STREAM_TYPE } from './psi.js';

/**
 * The MPEG-TS muxer of one stream (ISO/IEC 13818-1): samples of a segment in, one self-contained
 * TS segment out. Pure and synchronous; the state it keeps between segments is what a TS reader
 * sees continue across segment files: the continuity counters and the PCR.
 *
 *   segment
 *   ├─ PAT            PID 0: program 1 → PMT_PID
 *   ├─ PMT            PMT_PID: PCR_PID, one elementary stream per track (PIDs from FIRST_ES_PID)
 *   └─ PES packets    every track's, in decode order (90 kHz dts); video one access unit each,
 *                     audio up to 100 ms of ADTS frames; each PES starts a packet and ends on a
 *                     packet boundary (adaptation-field stuffing). The first packet of a PES on the
 *                     PCR PID carries the PCR, of an IDR access unit random_access_indicator; a
 *                     PCR-only packet precedes other PES when the PCR would otherwise fall behind.
 */

/** PMT PID and first elementary stream PID: FFmpeg's choice, which set-top boxes are tested with. */
export const PMT_PID = 0x1000;
export const FIRST_ES_PID = 0x100;
/**
 * How far the PCR runs behind the DTS it is stamped before: 0.7 s, FFmpeg's default max_delay,
 * so a decoder following the T-STD (2.4.2) holds each access unit before decoding it. Clamped at 0
 * and never decreasing, so PCR starts at 0 and only grows within a presentation.
 */
export const PCR_DELAY_TICKS = 63_000;
/**
 * A PCR-only packet goes before a PES of another PID whose DTS is 50 ms past the last PCR: the
 * PCR PID's own PES carry one each, so this bounds the PCR interval by 50 ms plus the spacing of
 * the input's frames, within the 100 ms of 13818-1 2.7.2 for every frame rate from 20 fps.
 */
export const PCR_REFRESH_TICKS = 4_500;
/** stream_ids 0xE0–0xEF and 0xC0–0xDF (Table 2-22). */
const MAX_VIDEO_STREAMS = 16;
const MAX_AUDIO_STREAMS = 32;

/** Per-segment input: every sample of the segment (any track order), or each track's samples by track id. */
export type TsSegmentInput = readonly Sample[] | ReadonlyMap<number, readonly Sample[]>;

export interface TsMuxerOptions {
  /**
   * 90 kHz ticks added to every PTS and DTS written (and so to the PCR). Default
   * DEFAULT_TIMESTAMP_OFFSET_TICKS (1.4 s, as FFmpeg's mpegts muxer starts): a stream whose media
   * time starts at 0 then never writes a DTS moved below 0 by the decode delay (which would wrap to
   * 2^33) nor a PCR held at 0 while the DTS runs ahead of it. 0 writes the media times as they are.
   */
  readonly timestampOffsetTicks?: number;
}

/** 1.4 s: the decode delay (≤ 0.7 s) and the PCR's lead (PCR_DELAY_TICKS, 0.7 s) both fit below it. */
export const DEFAULT_TIMESTAMP_OFFSET_TICKS = 126_000;

export interface TsSegmentOptions {
  /**
   * The segment starts a new presentation (an HLS EXT-X-DISCONTINUITY: republish, new timeline):
   * the first packet of every PID says discontinuity_indicator, and the PCR starts afresh from
   * this segment's times. Default false.
   */
  readonly discontinuity?: boolean;
}

interface MuxTrack {
  readonly track: Track;
  readonly pid: number;
  readonly streamId: number;
  readonly streamType: number;
  readonly video: AnnexBConfig | undefined;
  readonly audio: AdtsConfig | undefined;
}

interface PesUnit {
  readonly mux: MuxTrack;
  /** 90 kHz, unwrapped. */
  readonly dts: number;
  readonly pts: number;
  readonly chunks: readonly Uint8Array[];
  readonly byteLength: number;
  readonly randomAccess: boolean;
}

export class TsMuxer {
  /** PID of each track, by track id. */
  readonly pids: ReadonlyMap<number, number>;
  /** The PID carrying the PCR: the first video track's, else the first track's. */
  readonly pcrPid: number;
  readonly #tracks = new Map<number, MuxTrack>();
  readonly #order: MuxTrack[] = [];
  readonly #pat: Uint8Array;
  readonly #pmt: Uint8Array;
  readonly #counters = new ContinuityCounters();
  /** Last PCR written (90 kHz, unwrapped), undefined at the start of a presentation. */
  #lastPcr: number | undefined;
  /** Per video track, 90 kHz ticks every DTS is moved back by (decodeDelay); set by a presentation's first samples. */
  #decodeDelays = new Map<number, number>();

  /**
   * Throws ERR_MEDIA_INVALID for no tracks, a repeated track id, too many tracks or a codec
   * without a TS mapping here (H.264, H.265 and AAC have one), and a CodecError for a malformed
   * avcC, hvcC or AudioSpecificConfig.
   */
  readonly #offset: number;

  constructor(tracks: readonly Track[], options: TsMuxerOptions = {}) {
    const offset = options.timestampOffsetTicks ?? DEFAULT_TIMESTAMP_OFFSET_TICKS;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= 2 ** 32) throw new MediaError('ERR_MEDIA_INVALID', `timestampOffsetTicks must be an integer from 0 to 2^32 − 1, got ${offset}`, {});
    this.#offset = offset;
    if (tracks.length === 0 || tracks.length > MAX_PMT_STREAMS) {
      throw new MediaError('ERR_MEDIA_INVALID', `a TS program takes 1 to ${MAX_PMT_STREAMS} tracks, got ${tracks.length}`, { tracks: tracks.length });
    }
    let videos = 0;
    let audios = 0;
    for (const [i, track] of tracks.entries()) {
      if (this.#tracks.has(track.id)) throw new MediaError('ERR_MEDIA_INVALID', `track id ${track.id} appears twice`, { trackId: track.id });
      const video = track.kind === 'video' ? annexBConfig(track) : undefined;
      const audio = track.kind === 'audio' ? adtsConfig(track) : undefined;
      const streamId = track.kind === 'video' ? VIDEO_STREAM_ID + videos++ : AUDIO_STREAM_ID + audios++;
      const streamType = track.kind === 'audio' ? STREAM_TYPE.aacAdts : track.codec === 'hevc' ? STREAM_TYPE.hevc : STREAM_TYPE.h264;
      const mux = { track, pid: FIRST_ES_PID + i, streamId, streamType, video, audio };
      this.#tracks.set(track.id, mux);
      this.#order.push(mux);
    }
    if (videos > MAX_VIDEO_STREAMS || audios > MAX_AUDIO_STREAMS) {
      throw new MediaError('ERR_MEDIA_INVALID', `a TS program takes at most ${MAX_VIDEO_STREAMS} video and ${MAX_AUDIO_STREAMS} audio tracks`, { videos, audios });
    }
    this.pids = new Map(this.#order.map((m) => [m.track.id, m.pid]));
    this.pcrPid = (this.#order.find((m) => m.track.kind === 'video') ?? this.#order[0]!).pid;
    this.#pat = patPayload(PMT_PID);
    this.#pmt = pmtPayload({ pcrPid: this.pcrPid, streams: this.#order });
  }

  /**
   * One TS segment: PAT, PMT, then the PES packets of `input`. Each track's samples must be in
   * decode order with integer times (ERR_MEDIA_INVALID otherwise, or for a track this muxer was not
   * made with); a NAL unit length past its sample's end is ERR_CODEC_TRUNCATED. A failed call
   * changes no state. The output is a new buffer the caller owns.
   */
  segment(input: TsSegmentInput, options: TsSegmentOptions = {}): Uint8Array {
    const discontinuity = options.discontinuity === true;
    const decodeDelays = discontinuity ? new Map<number, number>() : new Map(this.#decodeDelays);
    const units = this.#units(input, decodeDelays);
    const runs: PacketRun[] = [];
    const marked = new Set<number>();
    const fields = (pid: number, more: AdaptationFields = {}): AdaptationFields => {
      if (!discontinuity || marked.has(pid)) return more;
      marked.add(pid);
      return { ...more, discontinuity: true };
    };
    runs.push(psiRun(PAT_PID, this.#pat, fields(PAT_PID)), psiRun(PMT_PID, this.#pmt, fields(PMT_PID)));
    let lastPcr = discontinuity ? undefined : this.#lastPcr;
    let pcrInSegment = false;
    for (const unit of units) {
      const onPcrPid = unit.mux.pid === this.pcrPid;
      let pcr: number | undefined;
      if (onPcrPid || !pcrInSegment || unit.dts - PCR_DELAY_TICKS - lastPcr! >= PCR_REFRESH_TICKS) {
        pcr = Math.max(lastPcr ?? 0, unit.dts - PCR_DELAY_TICKS, 0);
        lastPcr = pcr;
        pcrInSegment = true;
        if (!onPcrPid) runs.push({ pid: this.pcrPid, unitStart: false, adaptation: fields(this.pcrPid, { pcr }), chunks: [], byteLength: 0 });
      }
      const header = pesHeader({ streamId: unit.mux.streamId, pts: unit.pts, dts: unit.dts, payloadLength: unit.byteLength });
      const adaptation = fields(unit.mux.pid, { pcr: onPcrPid ? pcr : undefined, randomAccess: unit.randomAccess });
      runs.push({ pid: unit.mux.pid, unitStart: true, adaptation, chunks: [header, ...unit.chunks], byteLength: header.length + unit.byteLength });
    }
    let packets = 0;
    for (const run of runs) packets += packetCount(run);
    const out = new Uint8Array(packets * TS_PACKET_BYTES);
    let offset = 0;
    for (const run of runs) offset = writePackets(out, offset, run, this.#counters);
    this.#lastPcr = lastPcr;
    this.#decodeDelays = decodeDelays;
    return out;
  }

  /**
   * 90 kHz ticks the DTS of `trackId` is written earlier than the sample's: 0 unless the
   * presentation's first segment had a video frame presented before it is decoded (pts < dts, the
   * negative composition offsets of samples whose composition delay was shifted out, as the live
   * packager's segmenter does). TS has no such thing (a decoder cannot present a picture before
   * decoding it, 13818-1 2.7.5), so every DTS of the track moves back by the largest such lead,
   * which keeps DTS ≤ PTS, the DTS spacing, and every PTS as it was. Reset by a discontinuity.
   */
  decodeDelay(trackId: number): number {
    return this.#decodeDelays.get(trackId) ?? 0;
  }

  /** The segment's PES payloads of every track, merged in decode order (video first on a tie). */
  #units(input: TsSegmentInput, decodeDelays: Map<number, number>): PesUnit[] {
    const byTrack = groupByTrack(input, this.#tracks);
    const units: PesUnit[] = [];
    for (const mux of this.#order) {
      const samples = byTrack.get(mux.track.id);
      if (samples === undefined || samples.length === 0) continue;
      checkDecodeOrder(mux.track, samples);
      const ticks = (t: number): number => to90kHz(t, mux.track.timescale);
      if (mux.video !== undefined) {
        if (!decodeDelays.has(mux.track.id)) decodeDelays.set(mux.track.id, largestLead(samples, ticks));
        const delay = decodeDelays.get(mux.track.id)!;
        for (const s of samples) {
          const au = annexBPieces(s.data, s.keyframe, mux.video);
          units.push({ mux, dts: ticks(s.dts) - delay + this.#offset, pts: ticks(s.pts) + this.#offset, chunks: au.chunks, byteLength: au.byteLength, randomAccess: au.randomAccess });
        }
      } else {
        for (const g of groupAudioFrames(samples, mux.audio!, ticks)) {
          units.push({ mux, dts: ticks(g.first.dts) + this.#offset, pts: ticks(g.first.pts) + this.#offset, chunks: g.chunks, byteLength: g.byteLength, randomAccess: false });
        }
      }
    }
    const rank = (u: PesUnit): number => (u.mux.track.kind === 'video' ? 0 : 1);
    // Array.prototype.sort is stable: within a track, decode order stays.
    return units.sort((a, b) => a.dts - b.dts || rank(a) - rank(b));
  }
}

/**
 * A PSI section's one packet. Its payload is stuffed with 0xFF to fill a packet; a discontinuity
 * flag's 2-byte adaptation field takes 2 of those stuffing bytes (a section is at most 182 bytes
 * with MAX_PMT_STREAMS), so the section still fits one packet.
 */
function psiRun(pid: number, payload: Uint8Array, adaptation: AdaptationFields): PacketRun {
  const bytes = adaptation.discontinuity === true ? payload.subarray(0, payload.length - 2) : payload;
  return { pid, unitStart: true, adaptation, chunks: [bytes], byteLength: bytes.length };
}

/** The most any sample's dts exceeds its pts, on the 90 kHz clock; 0 when none does. */
function largestLead(samples: readonly Sample[], ticks: (t: number) => number): number {
  let lead = 0;
  for (const s of samples) lead = Math.max(lead, ticks(s.dts) - ticks(s.pts));
  return lead;
}

function groupByTrack(input: TsSegmentInput, tracks: ReadonlyMap<number, MuxTrack>): ReadonlyMap<number, readonly Sample[]> {
  if (input instanceof Map) {
    for (const [id, samples] of input as ReadonlyMap<number, readonly Sample[]>) {
      checkKnownTrack(id, tracks);
      for (const s of samples) if (s.trackId !== id) badSample(s, `is listed under track ${id}`);
    }
    return input as ReadonlyMap<number, readonly Sample[]>;
  }
  const byTrack = new Map<number, Sample[]>();
  for (const s of input as readonly Sample[]) {
    checkKnownTrack(s.trackId, tracks);
    (byTrack.get(s.trackId) ?? byTrack.set(s.trackId, []).get(s.trackId)!).push(s);
  }
  return byTrack;
}

function checkKnownTrack(id: number, tracks: ReadonlyMap<number, MuxTrack>): void {
  if (!tracks.has(id)) throw new MediaError('ERR_MEDIA_INVALID', `sample of unknown track ${id}`, { trackId: id });
}

function badSample(s: Sample, problem: string): never {
  throw new MediaError('ERR_MEDIA_INVALID', `sample of track ${s.trackId} at dts ${s.dts} ${problem}`, { trackId: s.trackId, dts: s.dts });
}

/** Integer times, dts never decreasing, duration ≥ 0: what PES timing and ADTS grouping rely on. */
function checkDecodeOrder(track: Track, samples: readonly Sample[]): void {
  let previous = -Infinity;
  for (const s of samples) {
    if (!Number.isSafeInteger(s.dts) || !Number.isSafeInteger(s.pts)) badSample(s, `has a non-integer time (pts ${s.pts})`);
    if (!Number.isSafeInteger(s.duration) || s.duration < 0) badSample(s, `has duration ${s.duration}`);
    if (s.dts < previous) badSample(s, `comes after dts ${previous} of track ${track.id}: not in decode order`);
    previous = s.dts;
  }
}
