import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AmfEcmaArray, decodeAmf0 } from '../../src/amf/index.js';
import { parseAudioTag, parseVideoTag } from '../../src/flv/index.js';
import { Hub } from '../../src/hub/index.js';
import type { AudioTrack, Sample, VideoTrack } from '../../src/media/index.js';
import { MessageType, PlayerStream, type PlayerOutput, type RtmpMessage } from '../../src/rtmp/index.js';
import { playerMetadata } from '../../src/server/player-metadata.js';
import { PlayerTimeline } from '../../src/server/player-timeline.js';
import { feedRtmpPlayer } from '../../src/server/rtmp-player-feed.js';

const VIDEO: VideoTrack = {
  id: 1,
  kind: 'video',
  codec: 'avc',
  timescale: 90_000,
  codecString: 'avc1.64001f',
  decoderConfig: Uint8Array.of(1, 0x64, 0, 0x1f),
  width: 320,
  height: 240,
  frameRate: 30,
  sarWidth: 1,
  sarHeight: 1,
};
const AUDIO: AudioTrack = {
  id: 2,
  kind: 'audio',
  codec: 'aac',
  timescale: 48_000,
  codecString: 'mp4a.40.2',
  decoderConfig: Uint8Array.of(0x11, 0x90),
  sampleRate: 48_000,
  channels: 2,
  samplesPerFrame: 1024,
};

/** Video at `ms` (dts), presented `ctMs` later. */
function frame(ms: number, keyframe: boolean, ctMs = 0): Sample {
  return { trackId: 1, dts: ms * 90, pts: (ms + ctMs) * 90, duration: 0, keyframe, data: Uint8Array.of(0, 0, 0, 1, keyframe ? 0x65 : 0x41) };
}
/** Audio at `ms` (48 kHz ticks). */
function sound(ms: number): Sample {
  return { trackId: 2, dts: ms * 48, pts: ms * 48, duration: 1024, keyframe: true, data: Uint8Array.of(0x21, 0x10) };
}

describe('PlayerTimeline', () => {
  it('starts at 0 with the first run and keeps the tracks apart by their source offsets', () => {
    const t = new PlayerTimeline();
    expect(t.start(3990)).toBe(0);
    expect(t.map(1, 4000)).toBe(10);
    expect(t.map(2, 3990)).toBe(0);
    expect(t.map(1, 4033)).toBe(43);
    expect(t.map(2, 4011)).toBe(21);
  });

  it('never gives a timestamp below the run start', () => {
    const t = new PlayerTimeline();
    expect(t.start(4000)).toBe(0);
    expect(t.map(2, 3980)).toBe(0);
    expect(t.map(1, 4000)).toBe(0);
  });

  it('a new run continues one step after the last timestamp given, even when the source restarts at 0', () => {
    const t = new PlayerTimeline();
    t.start(10_000);
    for (const ms of [10_000, 10_040, 10_080]) t.map(1, ms);
    t.restart();
    expect(t.start(0)).toBe(120);
    expect(t.map(1, 0)).toBe(120);
    expect(t.map(1, 40)).toBe(160);
  });

  it('absolute: the source timestamps as they are, across runs too (nginx-rtmp atc)', () => {
    const t = new PlayerTimeline(true);
    expect(t.start(5000)).toBe(5000);
    expect(t.map(1, 5000)).toBe(5000);
    expect(t.map(2, 4990)).toBe(4990);
    t.restart();
    expect(t.start(0)).toBe(0);
    expect(t.map(1, 33)).toBe(33);
  });

  it('property: within a run offsets are kept and nothing is negative; across runs the clock never goes back', () => {
    const run = fc.array(fc.tuple(fc.constantFrom(1, 2), fc.integer({ min: 0, max: 2 ** 40 })), { minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(fc.array(run, { minLength: 1, maxLength: 4 }), (runs) => {
        const t = new PlayerTimeline();
        let previousMax = -1;
        for (const samples of runs) {
          t.restart();
          const base = Math.min(...samples.map(([, ms]) => ms));
          const start = t.start(base);
          expect(start).toBeGreaterThan(previousMax);
          for (const [track, ms] of samples) {
            const out = t.map(track, ms);
            expect(out).toBe(start + ms - base);
            previousMax = Math.max(previousMax, out);
          }
        }
      }),
    );
  });
});

describe('playerMetadata', () => {
  it('has what the tracks and the measured rates say, as an ECMA array', () => {
    const rates = { bitrateBps: 0, frameRate: 29.97002997, tracks: [{ trackId: 1, bitrateBps: 800_000, samplesPerSecond: 30 }, { trackId: 2, bitrateBps: 128_000, samplesPerSecond: 47 }] };
    const meta = playerMetadata([{ ...VIDEO, frameRate: undefined }, AUDIO], rates);
    expect(meta).toBeInstanceOf(AmfEcmaArray);
    expect({ ...meta }).toEqual({
      width: 320,
      height: 240,
      framerate: 29.97,
      videocodecid: 7,
      videodatarate: 800,
      audiocodecid: 10,
      audiosamplerate: 48_000,
      audiosamplesize: 16,
      audiochannels: 2,
      stereo: true,
      audiodatarate: 128,
    });
  });

  it('the SPS frame rate wins over the measured one; unknown rates are left out; HEVC is codec id 12', () => {
    const meta = playerMetadata([{ ...VIDEO, codec: 'hevc', frameRate: 25 }], { bitrateBps: 0, frameRate: 24, tracks: [] });
    expect({ ...meta }).toEqual({ width: 320, height: 240, framerate: 25, videocodecid: 12 });
  });
});

/** A hub stream with a player fed from it; `sent` is what the player's session would write. */
function setup(options: { absoluteTimestamps?: boolean } = {}) {
  const hub = new Hub();
  const r = hub.publish({ app: 'live', streamKey: 'k', publisherId: 'a', nowMs: 0 });
  if (!r.ok) throw new Error('refused');
  const sent: RtmpMessage[] = [];
  const out: PlayerOutput = {
    send: (m) => sent.push(m),
    sendParts: (header, parts) => sent.push({ ...header, payload: Buffer.concat(parts) }),
    pendingBytes: () => 0,
    maxOutgoingBufferBytes: () => 1 << 20,
    fail: (e) => {
      throw e;
    },
  };
  const join = (): PlayerStream => {
    const player = new PlayerStream(out, 1, 'k');
    feedRtmpPlayer(r.publisher.stream.subscribe({ startWith: 'gop' }), player, options);
    return player;
  };
  return { hub, publisher: r.publisher, sent, join };
}

/** What the player got, one line per message: kind, timestamp and what it is. */
function describeSent(sent: readonly RtmpMessage[]): string[] {
  return sent.map((m) => {
    if (m.typeId === MessageType.DATA_AMF0) return `data ${m.timestamp} ${String(decodeAmf0(m.payload)[0])}`;
    if (m.typeId === MessageType.VIDEO) {
      const tag = parseVideoTag(m.payload);
      return `video ${m.timestamp} ${tag.packetType}${tag.packetType === 'coded-frames' ? ` ${tag.frameType} ct=${tag.compositionTimeMs}` : ''}`;
    }
    if (m.typeId === MessageType.AUDIO) return `audio ${m.timestamp} ${parseAudioTag(m.payload).packetType}`;
    return `type ${m.typeId} ${m.timestamp}`;
  });
}

describe('feedRtmpPlayer', () => {
  it('a player joining mid-stream: onMetaData and sequence headers at 0, its first keyframe at 0, composition offsets kept', () => {
    const { publisher, sent, join } = setup();
    publisher.setTracks([VIDEO, AUDIO]);
    publisher.pushSample(frame(60_000, true), 0);
    publisher.pushSample(frame(60_033, false), 0);
    publisher.pushSample(frame(60_066, true, 66), 0);
    publisher.pushSample(sound(60_070), 0);
    publisher.pushSample(frame(60_100, false, 33), 0);
    join();
    publisher.pushSample(sound(60_091), 0);
    expect(describeSent(sent)).toEqual([
      'data 0 onMetaData',
      'video 0 sequence-start',
      'audio 0 sequence-start',
      'video 0 coded-frames key ct=66',
      'audio 4 coded-frames',
      'video 34 coded-frames inter ct=33',
      'audio 25 coded-frames',
    ]);
    const meta = decodeAmf0(sent[0]!.payload)[1] as Record<string, unknown>;
    expect(meta).toMatchObject({ width: 320, height: 240, framerate: 30, videocodecid: 7, audiocodecid: 10, audiosamplerate: 48_000, audiochannels: 2 });
  });

  it('audio stamped before the keyframe sets the base: nothing is negative, offsets kept', () => {
    const { publisher, sent, join } = setup();
    publisher.setTracks([VIDEO, AUDIO]);
    publisher.pushSample(frame(5000, true), 0);
    publisher.pushSample(sound(4990), 0);
    join();
    expect(describeSent(sent)).toEqual(['data 0 onMetaData', 'video 0 sequence-start', 'audio 0 sequence-start', 'video 10 coded-frames key ct=0', 'audio 0 coded-frames']);
  });

  it('new tracks after a takeover: headers again, the clock continues instead of going back', () => {
    const { hub, publisher, sent, join } = setup();
    publisher.setTracks([VIDEO]);
    publisher.pushSample(frame(9000, true), 0);
    join();
    publisher.pushSample(frame(9040, false), 0);
    const next = hub.publish({ app: 'live', streamKey: 'k', publisherId: 'b', nowMs: 10_000 });
    if (!next.ok) throw new Error('refused');
    next.publisher.setTracks([{ ...VIDEO, width: 640, height: 480 }]);
    next.publisher.pushSample(frame(0, true), 10_000);
    next.publisher.pushSample(frame(40, false), 10_000);
    expect(describeSent(sent)).toEqual([
      'data 0 onMetaData',
      'video 0 sequence-start',
      'video 0 coded-frames key ct=0',
      'video 40 coded-frames inter ct=0',
      'data 80 onMetaData',
      'video 80 sequence-start',
      'video 80 coded-frames key ct=0',
      'video 120 coded-frames inter ct=0',
    ]);
    expect(decodeAmf0(sent[4]!.payload)[1]).toMatchObject({ width: 640, height: 480 });
  });

  it('absoluteTimestamps: the publisher\'s timestamps, headers at the first sample\'s', () => {
    const { publisher, sent, join } = setup({ absoluteTimestamps: true });
    publisher.setTracks([VIDEO, AUDIO]);
    publisher.pushSample(frame(60_000, true, 66), 0);
    publisher.pushSample(sound(60_010), 0);
    join();
    publisher.pushSample(frame(60_033, false), 0);
    expect(describeSent(sent)).toEqual([
      'data 60000 onMetaData',
      'video 60000 sequence-start',
      'audio 60000 sequence-start',
      'video 60000 coded-frames key ct=66',
      'audio 60010 coded-frames',
      'video 60033 coded-frames inter ct=0',
    ]);
  });

  it('frames go out as header and payload apart, the payload the sample\'s own bytes', () => {
    const { publisher } = setup();
    const parts: Array<readonly Uint8Array[]> = [];
    publisher.setTracks([VIDEO]);
    const key = frame(0, true);
    publisher.pushSample(key, 0);
    const player = new PlayerStream(
      { send: () => undefined, sendParts: (_h, p) => parts.push(p), pendingBytes: () => 0, maxOutgoingBufferBytes: () => 1 << 20, fail: () => undefined },
      1,
      'k',
    );
    feedRtmpPlayer(publisher.stream.subscribe({ startWith: 'gop' }), player);
    expect(parts.at(-1)![1]).toBe(key.data);
    expect([...parts.at(-1)![0]!]).toEqual([0x17, 1, 0, 0, 0]);
  });

  it('the publisher leaving ends the player', () => {
    const { publisher, sent, join } = setup();
    publisher.setTracks([VIDEO]);
    publisher.pushSample(frame(0, true), 0);
    const player = join();
    publisher.end(1000);
    expect(player.active).toBe(false);
    expect(sent.at(-1)!.typeId).toBe(MessageType.COMMAND_AMF0);
  });
});
