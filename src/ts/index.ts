/**
 * tidecast/ts — MPEG-2 transport streams (ISO/IEC 13818-1) for HLS over MPEG-TS: a pure muxer
 * from our samples to 188-byte packets (PAT/PMT, PES with PTS/DTS, PCR, continuity counters), with
 * H.264/H.265 as Annex B access units and AAC as ADTS frames.
 */
export { TsMuxer, DEFAULT_TIMESTAMP_OFFSET_TICKS, PMT_PID, FIRST_ES_PID, PCR_DELAY_TICKS, PCR_REFRESH_TICKS } from './muxer.js';
export type { TsMuxerOptions, TsSegmentInput, TsSegmentOptions } from './muxer.js';
export { crc32Mpeg2 } from './crc32.js';
export { patPayload, pmtPayload, PAT_PID, PROGRAM_NUMBER, STREAM_TYPE, MAX_PMT_STREAMS } from './psi.js';
export type { PmtInput, PmtStream } from './psi.js';
export { pesHeader, pesHeaderLength, writeTimestamp, to90kHz, VIDEO_STREAM_ID, AUDIO_STREAM_ID, MPEG_TIMESCALE, MAX_PES_PACKET_LENGTH } from './pes.js';
export type { PesHeaderInput } from './pes.js';
export { ContinuityCounters, packetCount, writePackets, tsPackets, writePcr, wrap33, TS_PACKET_BYTES, TS_SYNC_BYTE, MAX_PID, TIMESTAMP_MODULUS } from './packet.js';
export type { AdaptationFields, PacketRun } from './packet.js';
export { annexB, annexBPieces, annexBConfig } from './annex-b.js';
export type { AnnexBConfig, AnnexBPieces } from './annex-b.js';
export { adtsConfig, adtsHeader, groupAudioFrames, MAX_AUDIO_PES_TICKS } from './adts.js';
export type { AdtsConfig, AudioPesFrames } from './adts.js';
export { MediaError, CodecError } from '../errors/index.js';
