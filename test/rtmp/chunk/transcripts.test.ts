import { describe, expect, it } from 'vitest';
import { ChunkReader } from '../../../src/rtmp/chunk/index.js';
import { decodeCommand, decodeData, MessageType, type RtmpMessage } from '../../../src/rtmp/message/index.js';
import { cutAt, digestPieces, drain, loadTranscript, seededRandom } from './helpers.js';

/**
 * Real publisher transcripts (fixtures/rtmp/README.md) in every chunking: the same messages each
 * time, and the cut-off last message leaves bytes buffered, never an error. The golden values were
 * read from the transcripts once; the framing was cross-checked with a separate straight-line parser.
 */
interface Golden {
  file: string;
  streamKey: string;
  /** Command names in order, from type 20 messages. */
  commands: string[];
  /** Messages per type id over the whole transcript. */
  countsByType: Record<number, number>;
  payloadBytes: number;
  chunkStreamIds: number[];
  /** The chunk size the client had set when the recording was cut. */
  finalChunkSize: number;
  /** Bytes of the incomplete last message left in the reader. */
  buffered: number;
  lastAudioTimestamp: number;
  lastVideoTimestamp: number;
}

const PUBLISH_SEQUENCE = ['connect', 'releaseStream', 'FCPublish', 'createStream', 'publish'];

const TRANSCRIPTS: Golden[] = [
  {
    file: 'obs-29.0.2-publish.c2s.bin',
    streamKey: 'obskey',
    commands: PUBLISH_SEQUENCE,
    countsByType: { 1: 1, 8: 92, 9: 61, 18: 1, 20: 5 },
    payloadBytes: 623_199,
    chunkStreamIds: [2, 3, 4],
    finalChunkSize: 4096,
    buffered: 2644,
    lastAudioTimestamp: 1986,
    lastVideoTimestamp: 1966,
  },
  {
    file: 'ffmpeg-5.1-publish.c2s.bin',
    streamKey: 'ffkey',
    commands: PUBLISH_SEQUENCE,
    countsByType: { 1: 1, 8: 46, 9: 31, 18: 1, 20: 5 },
    payloadBytes: 396_105,
    chunkStreamIds: [2, 3, 4, 6, 8],
    finalChunkSize: 4096,
    buffered: 36,
    lastAudioTimestamp: 984,
    lastVideoTimestamp: 967,
  },
  {
    file: 'gstreamer-1.22-rtmp2sink-publish.c2s.bin',
    streamKey: 'gstkey',
    commands: PUBLISH_SEQUENCE,
    countsByType: { 1: 1, 5: 1, 8: 47, 9: 30, 18: 14, 20: 5 },
    payloadBytes: 383_583,
    chunkStreamIds: [2, 3, 4, 5, 6],
    finalChunkSize: 128,
    buffered: 116,
    lastAudioTimestamp: 960,
    lastVideoTimestamp: 944,
  },
  {
    file: 'librtmp-2.4-rtmpsink-publish.c2s.bin',
    streamKey: 'gstkey2',
    commands: PUBLISH_SEQUENCE,
    countsByType: { 8: 47, 9: 30, 18: 14, 20: 5 },
    payloadBytes: 383_617,
    chunkStreamIds: [3, 4],
    finalChunkSize: 128,
    buffered: 100,
    lastAudioTimestamp: 960,
    lastVideoTimestamp: 939,
  },
];

function readWhole(bytes: Uint8Array): { messages: RtmpMessage[]; reader: ChunkReader } {
  const reader = new ChunkReader();
  reader.push(bytes);
  return { messages: drain(reader), reader };
}

/** Split points per transcript: every offset in this many leading bytes. */
const EVERY_OFFSET_BYTES = 4096;
/**
 * The every-offset runs decode only this prefix: past the cut the framing is the same as in the
 * whole file, so a longer tail would repeat work without testing another split.
 */
const EVERY_OFFSET_PREFIX_BYTES = 64 * 1024;

describe.each(TRANSCRIPTS)('$file', (golden) => {
  const bytes = loadTranscript(golden.file);

  it('decodes the publish handshake: commands, stream key, then @setDataFrame onMetaData', () => {
    const { messages } = readWhole(bytes);
    const commands = messages.filter((m) => m.typeId === MessageType.COMMAND_AMF0).map((m) => decodeCommand(m));
    expect(commands.map((c) => c.name)).toEqual(golden.commands);
    expect(commands[0]!.commandObject).toMatchObject({ app: 'live' });
    const publish = commands.find((c) => c.name === 'publish')!;
    expect(publish.args).toEqual([golden.streamKey, 'live']);
    expect(commands.find((c) => c.name === 'releaseStream')!.args).toEqual([golden.streamKey]);

    const publishAt = messages.findIndex((m) => m.typeId === MessageType.COMMAND_AMF0 && decodeCommand(m).name === 'publish');
    const firstData = messages.findIndex((m) => m.typeId === MessageType.DATA_AMF0);
    const firstMedia = messages.findIndex((m) => m.typeId === MessageType.AUDIO || m.typeId === MessageType.VIDEO);
    expect(firstData).toBeGreaterThan(publishAt);
    expect(firstMedia).toBeGreaterThan(firstData);
    expect(decodeData(messages[firstData]!).slice(0, 2)).toEqual(['@setDataFrame', 'onMetaData']);
  });

  it('decodes the golden media counts, chunk streams and timestamps', () => {
    const { messages, reader } = readWhole(bytes);
    const counts: Record<number, number> = {};
    for (const m of messages) counts[m.typeId] = (counts[m.typeId] ?? 0) + 1;
    expect(counts).toEqual(golden.countsByType);
    expect(messages.reduce((n, m) => n + m.payload.length, 0)).toBe(golden.payloadBytes);
    expect([...new Set(messages.map((m) => m.chunkStreamId))].sort((a, b) => a - b)).toEqual(golden.chunkStreamIds);
    expect(reader.chunkSize).toBe(golden.finalChunkSize);

    const media = (typeId: number): RtmpMessage[] => messages.filter((m) => m.typeId === typeId);
    for (const typeId of [MessageType.AUDIO, MessageType.VIDEO]) {
      const ts = media(typeId).map((m) => m.timestamp);
      expect(ts, `type ${typeId} timestamps never go back`).toEqual([...ts].sort((a, b) => a - b));
      expect(media(typeId).every((m) => m.messageStreamId === 1)).toBe(true);
    }
    expect(media(MessageType.AUDIO).at(-1)!.timestamp).toBe(golden.lastAudioTimestamp);
    expect(media(MessageType.VIDEO).at(-1)!.timestamp).toBe(golden.lastVideoTimestamp);
    // FLV tag bodies: AAC (0xAF), AVC keyframe (0x17) or inter frame (0x27).
    expect(new Set(media(MessageType.AUDIO).map((m) => m.payload[0]))).toEqual(new Set([0xaf]));
    expect(new Set(media(MessageType.VIDEO).map((m) => m.payload[0]))).toEqual(new Set([0x17, 0x27]));
  });

  it('ends on the cut-off last message with null and bytes buffered, not an error', () => {
    const { reader } = readWhole(bytes);
    expect(reader.read()).toBeNull();
    expect(reader.buffered).toBe(golden.buffered);
    expect(reader.buffered).toBeGreaterThan(0);
  });

  it(`gives the same messages when cut in two at every offset of the first ${EVERY_OFFSET_BYTES} bytes`, () => {
    const prefix = bytes.subarray(0, EVERY_OFFSET_PREFIX_BYTES);
    const whole = digestPieces([prefix]);
    const differing: number[] = [];
    for (let k = 1; k <= EVERY_OFFSET_BYTES; k++) {
      const split = digestPieces([prefix.subarray(0, k), prefix.subarray(k)]);
      if (split.digest !== whole.digest || split.buffered !== whole.buffered) differing.push(k);
    }
    expect(differing).toEqual([]);
  });

  it('gives the same messages in 100 seeded random multi-cut splits of the whole transcript', () => {
    const whole = digestPieces([bytes]);
    expect(whole.buffered).toBe(golden.buffered);
    const random = seededRandom(0x71de ^ bytes.length);
    const differing: string[] = [];
    for (let run = 0; run < 100; run++) {
      const cuts = Array.from({ length: 1 + Math.floor(random() * 200) }, () => Math.floor(random() * bytes.length));
      const split = digestPieces(cutAt(bytes, cuts));
      if (split.digest !== whole.digest || split.buffered !== whole.buffered) differing.push(`run ${run}`);
    }
    expect(differing).toEqual([]);
  });
});

describe('one byte at a time', () => {
  it.each(['librtmp-2.4-rtmpsink-publish.c2s.bin', 'gstreamer-1.22-rtmp2sink-publish.c2s.bin'])('%s decodes the same as whole', (file) => {
    const bytes = loadTranscript(file);
    const whole = digestPieces([bytes]);
    const bytewise = digestPieces((function* () {
      for (let i = 0; i < bytes.length; i++) yield bytes.subarray(i, i + 1);
    })());
    expect(bytewise).toEqual(whole);
  });
});
