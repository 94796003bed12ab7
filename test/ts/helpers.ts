import type { AudioTrack, Sample, VideoTrack } from '../../src/media/index.js';

/** Hex string (spaces ignored) to bytes, for tables of hand-derived and FFmpeg-written bytes. */
export function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** AAC-LC at `sampleRate` Hz (index `sfi`), `channels` channels, from an AudioSpecificConfig. */
export function aacTrack(id: number, asc: string, sampleRate = 44_100, samplesPerFrame = 1024): AudioTrack {
  return { kind: 'audio', id, codec: 'aac', timescale: sampleRate, codecString: 'mp4a.40.2', decoderConfig: hex(asc), sampleRate, channels: 2, samplesPerFrame };
}

/** The avcC of fixtures/media/h264-aac.flv: one SPS (25 bytes), one PPS (4 bytes), 4-byte NAL lengths. */
export const AVCC = hex('0164000dffe100196764000dacd94141fb0110000003001000000303c0f142996001000468efbcb0fdf8f800');
export const AVCC_SPS = AVCC.subarray(8, 8 + 25);
export const AVCC_PPS = AVCC.subarray(36, 40);
/** The hvcC of fixtures/media/hevc-aac-ertmp.flv: VPS, SPS, PPS. */
export const HVCC = hex(
  '0101600000009000000000003cf000fcfdf8f800000f03a00001001840010c01ffff01600000030090000003000003003c959009a10001002a42010101600000030090000003000003003ca00a080f16595924932bc05a020000030002000003003c10a2000100074401c172b42240',
);

export function hevcTrack(id: number): VideoTrack {
  return { ...avcTrack(id, 90_000, HVCC), codec: 'hevc', codecString: 'hvc1.1.6.L60.90' };
}

export function avcTrack(id: number, timescale = 90_000, avcc: Uint8Array = AVCC): VideoTrack {
  return { kind: 'video', id, codec: 'avc', timescale, codecString: 'avc1.64000d', decoderConfig: avcc, width: 320, height: 240, frameRate: 30, sarWidth: 1, sarHeight: 1 };
}

/** A length-prefixed (4-byte) sample of the given NAL units. */
export function avcc(...nals: Uint8Array[]): Uint8Array {
  const out: number[] = [];
  for (const n of nals) out.push(n.length >>> 24, (n.length >>> 16) & 0xff, (n.length >>> 8) & 0xff, n.length & 0xff, ...n);
  return Uint8Array.from(out);
}

export function sample(trackId: number, dts: number, pts: number, duration: number, keyframe: boolean, data: Uint8Array): Sample {
  return { trackId, dts, pts, duration, keyframe, data };
}

/** What a test reads back from one 188-byte packet (structure only; ffprobe is the media oracle). */
export interface ReadPacket {
  readonly pid: number;
  readonly unitStart: boolean;
  readonly cc: number;
  readonly hasPayload: boolean;
  readonly adaptation: Uint8Array | undefined;
  readonly payload: Uint8Array;
}

export function readPackets(ts: Uint8Array): ReadPacket[] {
  const out: ReadPacket[] = [];
  for (let at = 0; at + 188 <= ts.length; at += 188) {
    const p = ts.subarray(at, at + 188);
    const control = (p[3]! >>> 4) & 0x03;
    const afLength = control & 0x02 ? p[4]! + 1 : 0;
    out.push({
      pid: ((p[1]! & 0x1f) << 8) | p[2]!,
      unitStart: (p[1]! & 0x40) !== 0,
      cc: p[3]! & 0x0f,
      hasPayload: (control & 0x01) !== 0,
      adaptation: afLength > 0 ? p.subarray(4, 4 + afLength) : undefined,
      payload: control & 0x01 ? p.subarray(4 + afLength) : new Uint8Array(0),
    });
  }
  return out;
}

/** The PCR base of an adaptation field, or undefined. */
export function pcrOf(adaptation: Uint8Array | undefined): number | undefined {
  if (adaptation === undefined || adaptation.length < 8 || (adaptation[1]! & 0x10) === 0) return undefined;
  const a = adaptation;
  return (a[2]! * 2 ** 25 + a[3]! * 2 ** 17 + a[4]! * 2 ** 9 + a[5]! * 2) + (a[6]! >>> 7);
}

/** A 5-byte PTS/DTS field's 33-bit value. */
export function timestampOf(b: Uint8Array, at: number): number {
  return ((b[at]! >>> 1) & 0x07) * 2 ** 30 + (b[at + 1]! << 22) + ((b[at + 2]! >>> 1) << 15) + (b[at + 3]! << 7) + (b[at + 4]! >>> 1);
}

/** One PES packet reassembled from its TS packets (structure only). */
export interface ReadPes {
  readonly pid: number;
  readonly streamId: number;
  readonly pts: number;
  readonly dts: number | undefined;
  /** PES_packet_length as written (0: unbounded). */
  readonly declaredLength: number;
  /** Bytes after PES_packet_length. */
  readonly afterLength: number;
  readonly data: Uint8Array;
  /** The adaptation field of its first packet. */
  readonly firstAdaptation: Uint8Array | undefined;
}

/** Every PES on the given PIDs, in stream order. */
export function readPes(ts: Uint8Array, pids: ReadonlySet<number>): ReadPes[] {
  const out: ReadPes[] = [];
  const open = new Map<number, { parts: Uint8Array[]; adaptation: Uint8Array | undefined }>();
  const close = (pid: number): void => {
    const o = open.get(pid);
    if (o === undefined) return;
    const bytes = Buffer.concat(o.parts);
    const flags = bytes[7]!;
    const headerLength = bytes[8]!;
    out.push({
      pid,
      streamId: bytes[3]!,
      pts: timestampOf(bytes, 9),
      dts: (flags & 0x40) !== 0 ? timestampOf(bytes, 14) : undefined,
      declaredLength: (bytes[4]! << 8) | bytes[5]!,
      afterLength: bytes.length - 6,
      data: Uint8Array.from(bytes.subarray(9 + headerLength)),
      firstAdaptation: o.adaptation,
    });
    open.delete(pid);
  };
  for (const p of readPackets(ts)) {
    if (!pids.has(p.pid)) continue;
    if (p.unitStart) {
      close(p.pid);
      open.set(p.pid, { parts: [], adaptation: p.adaptation });
    }
    if (p.hasPayload) open.get(p.pid)?.parts.push(p.payload);
  }
  for (const pid of [...open.keys()]) close(pid);
  return out;
}
