import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AmfValue } from '../../src/amf/index.js';
import {
  buildAudioTag,
  buildScriptTag,
  buildVideoTag,
  FlvError,
  parseAudioTag,
  parseScriptTag,
  parseVideoTag,
  readFlvFile,
  type AudioTag,
  type AudioTagInit,
  type ScriptTag,
  type VideoTag,
  type VideoTagInit,
} from '../../src/flv/index.js';
import { corpus, expectOutcome, expectTableMatchesCorpus, replay, withCorpusHint, type Expected } from '../helpers/corpus.js';
import { fixturePath } from '../helpers/ffmpeg.js';

/**
 * Properties: build → parse returns what was built (the parser's output with `data` a view into
 * the built body); and any byte string, random or a mutated real body, parses or throws an
 * FlvError, never anything else.
 */

const data = fc.uint8Array({ maxLength: 64 });
const si24 = fc.integer({ min: -0x800000, max: 0x7fffff });
const mediaFrameType = fc.constantFrom('key', 'inter', 'disposable', 'generated-key' as const);

/** Every media tag the builder accepts, with the fields the parser will report. */
const videoMedia: fc.Arbitrary<VideoTagInit> = fc.oneof(
  fc.record({
    codec: fc.constantFrom('avc' as const, 'hevc' as const),
    frameType: mediaFrameType,
    packetType: fc.constantFrom('sequence-start', 'coded-frames', 'sequence-end' as const),
    compositionTimeMs: si24,
    data,
    enhanced: fc.constant(false),
  }),
  fc.record({
    codec: fc.constantFrom('avc' as const, 'hevc' as const),
    frameType: mediaFrameType,
    packetType: fc.constant('coded-frames' as const),
    compositionTimeMs: si24,
    data,
    enhanced: fc.constant(true),
  }),
  fc.record({
    codec: fc.constantFrom('avc' as const, 'hevc' as const, 'av1' as const, 'vp9' as const),
    frameType: mediaFrameType,
    packetType: fc.constantFrom('sequence-start', 'coded-frames', 'sequence-end', 'metadata' as const),
    compositionTimeMs: fc.constant(0),
    data,
    enhanced: fc.constant(true),
  }),
  fc.record({
    frameType: fc.constant('command' as const),
    packetType: fc.constant('command' as const),
    command: fc.integer({ min: 0, max: 255 }),
    codec: fc.constantFrom('avc' as const, 'hevc' as const),
    enhanced: fc.constant(false),
  }),
);

const audioInit: fc.Arbitrary<AudioTagInit> = fc.oneof(
  fc.record({
    codec: fc.constantFrom('aac' as const),
    packetType: fc.constantFrom('sequence-start', 'coded-frames' as const),
    soundRate: fc.constant(44_100),
    sampleBits: fc.constant(16 as const),
    channels: fc.constant(2 as const),
    data,
    enhanced: fc.constant(false),
  }),
  fc.record({
    codec: fc.constantFrom('mp3', 'pcm', 'adpcm', 'pcm-le', 'nellymoser', 'g711a', 'g711u', 'native' as const),
    packetType: fc.constant('coded-frames' as const),
    soundRate: fc.constantFrom(5_512, 11_025, 22_050, 44_100),
    sampleBits: fc.constantFrom(8 as const, 16 as const),
    channels: fc.constantFrom(1 as const, 2 as const),
    data,
    enhanced: fc.constant(false),
  }),
  fc.record({
    codec: fc.constantFrom('aac', 'mp3', 'opus', 'flac', 'ac3', 'eac3' as const),
    packetType: fc.constantFrom('sequence-start', 'coded-frames', 'sequence-end' as const),
    data,
    enhanced: fc.constant(true),
  }),
);

/** AMF0 values that decode back to an equal value (no Date time zones, no sparse arrays). */
const amfValue: fc.Arbitrary<AmfValue> = fc.letrec<{ value: AmfValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.double(),
    fc.boolean(),
    fc.string(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string().filter((k) => k !== '' && k !== '__proto__'), tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('build → parse', () => {
  it('video tags', () => {
    fc.assert(
      fc.property(videoMedia, (init) => {
        const body = buildVideoTag(init);
        const parsed = parseVideoTag(body);
        expect(parsed).toEqual(init);
        if ('data' in parsed) expect(parsed.data.buffer).toBe(body.buffer);
      }),
      withCorpusHint('flv-tag', { numRuns: 1000 }),
    );
  });

  it('audio tags', () => {
    fc.assert(
      fc.property(audioInit, (init) => {
        const body = buildAudioTag(init);
        expect(parseAudioTag(body)).toEqual(init);
      }),
      withCorpusHint('flv-tag', { numRuns: 1000 }),
    );
  });

  it('script tags', () => {
    fc.assert(
      fc.property(fc.string(), fc.array(amfValue, { maxLength: 3 }), (name, values) => {
        const tag = parseScriptTag(buildScriptTag(name, ...values));
        expect(tag.name).toBe(name);
        expect(tag.values).toEqual(values);
      }),
      withCorpusHint('flv-tag', { numRuns: 300 }),
    );
  });
});

/** Runs `parse`; returns normally or with an FlvError, rethrows anything else. */
function onlyFlvErrors(parse: (body: Uint8Array) => unknown, body: Uint8Array): void {
  try {
    const tag = parse(body) as { data?: Uint8Array };
    // A returned payload always lies inside the body.
    if (tag.data !== undefined) {
      expect(tag.data.buffer).toBe(body.buffer);
      expect(tag.data.byteOffset + tag.data.length).toBeLessThanOrEqual(body.byteOffset + body.length);
    }
  } catch (err) {
    if (!(err instanceof FlvError)) throw err;
  }
}

const PARSERS = [
  { name: 'video', parse: parseVideoTag },
  { name: 'audio', parse: parseAudioTag },
  { name: 'script', parse: (b: Uint8Array) => parseScriptTag(b) },
];

/** Real bodies to mutate: a few of the fixture's tags of each type, and built E-RTMP ones. */
const fixtureTags = readFlvFile(new Uint8Array(readFileSync(fixturePath('media/h264-aac.flv')))).tags;
const SEEDS = [
  ...fixtureTags.slice(0, 8).map((t) => t.body.slice(0, 96)),
  buildVideoTag({ codec: 'hevc', frameType: 'key', packetType: 'coded-frames', compositionTimeMs: 33, data: new Uint8Array(8) }),
  buildVideoTag({ codec: 'av1', frameType: 'key', packetType: 'sequence-start', data: Uint8Array.of(0x81, 8, 12, 0) }),
  buildAudioTag({ codec: 'opus', packetType: 'sequence-start', data: new Uint8Array(19) }),
  Uint8Array.of(0x97, 0x02, 0x0f, 0x42, 0x40, 0x01, 0x68, 0x76, 0x63, 0x31, 0, 0, 0x21, 1),
];

const mutation = fc.record({
  seed: fc.integer({ min: 0, max: SEEDS.length - 1 }),
  flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
  cut: fc.option(fc.nat(), { nil: undefined }),
});

describe('hostile bodies: a tag or an FlvError', () => {
  it.each(PARSERS)('$name: random bytes', ({ parse }) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 48 }), (body) => onlyFlvErrors(parse, body)),
      withCorpusHint('flv-tag', { numRuns: 3000 }),
    );
  });

  it.each(PARSERS)('$name: mutated real bodies', ({ parse }) => {
    fc.assert(
      fc.property(mutation, ({ seed, flips, cut }) => {
        const body = SEEDS[seed]!.slice();
        for (const [at, value] of flips) body[at % body.length] = value;
        // A counterexample's bytes are SEEDS[seed] with the flips applied, then cut: rebuild them before saving.
        onlyFlvErrors(parse, cut === undefined ? body : body.subarray(0, cut % (body.length + 1)));
      }),
      withCorpusHint('flv-tag', { numRuns: 3000 }),
    );
  });
});

/** fixtures/corpus/flv-tag/: every file goes to all three parsers; the table pins what some give. */
interface TagExpectation {
  readonly video?: Expected<VideoTag>;
  readonly audio?: Expected<AudioTag>;
  readonly script?: Expected<ScriptTag>;
}

const dataOf = (tag: VideoTag | AudioTag): string => ('data' in tag ? Buffer.from(tag.data).toString('hex') : '');
const dataLength = (tag: VideoTag | AudioTag): number => ('data' in tag ? tag.data.length : -1);

const TAG_CORPUS: Record<string, TagExpectation> = {
  'valid-video-avc-sequence-start.bin': {
    video: (tag) => {
      expect(tag).toMatchObject({ codec: 'avc', frameType: 'key', packetType: 'sequence-start', compositionTimeMs: 0, enhanced: false });
      // The avcC of fixtures/media/h264-aac.flv: configurationVersion 1, High profile, level 1.3.
      expect(dataOf(tag).slice(0, 8)).toBe('0164000d');
      expect(dataLength(tag)).toBe(44);
    },
  },
  'valid-video-avc-inter-frame.bin': {
    video: (tag) => {
      expect(tag).toMatchObject({ codec: 'avc', frameType: 'inter', packetType: 'coded-frames', compositionTimeMs: 167 });
      expect(dataLength(tag)).toBe(456);
    },
  },
  'valid-video-hevc-ertmp-sequence-start.bin': {
    video: (tag) => {
      expect(tag).toMatchObject({ codec: 'hevc', frameType: 'key', packetType: 'sequence-start', enhanced: true });
      expect(dataLength(tag)).toBe(111);
    },
  },
  'valid-video-hevc-ertmp-inter-frame.bin': {
    video: (tag) => {
      expect(tag).toMatchObject({ codec: 'hevc', frameType: 'inter', packetType: 'coded-frames', compositionTimeMs: 134, enhanced: true });
      expect(dataLength(tag)).toBe(1328);
    },
  },
  'valid-audio-aac-sequence-start.bin': {
    audio: (tag) => {
      expect(tag).toMatchObject({ codec: 'aac', packetType: 'sequence-start', soundRate: 44_100, channels: 2, enhanced: false });
      expect(dataLength(tag)).toBe(5);
    },
  },
  'valid-audio-aac-frame.bin': {
    audio: (tag) => {
      expect(tag).toMatchObject({ codec: 'aac', packetType: 'coded-frames' });
      expect(dataLength(tag)).toBe(144);
    },
  },
  'valid-audio-he-aac-sequence-start.bin': {
    audio: (tag) => {
      expect(tag).toMatchObject({ codec: 'aac', packetType: 'sequence-start' });
      expect(dataLength(tag)).toBe(4);
    },
  },
  'valid-script-onmetadata.bin': {
    script: (tag) => {
      expect(tag.name).toBe('onMetaData');
      expect(tag.value).toMatchObject({ width: 320, height: 240, framerate: 30 });
    },
  },
  'valid-video-av1-ertmp-sequence-start.bin': {
    video: (tag) => {
      expect(tag).toMatchObject({ codec: 'av1', frameType: 'key', packetType: 'sequence-start', enhanced: true });
      expect(dataOf(tag)).toBe('81080c00');
    },
  },
  'valid-audio-opus-ertmp-sequence-start.bin': {
    audio: (tag) => {
      expect(tag).toMatchObject({ codec: 'opus', packetType: 'sequence-start', enhanced: true });
      expect(dataLength(tag)).toBe(19);
    },
  },
  'valid-video-command.bin': { video: (tag) => expect(tag).toEqual({ frameType: 'command', packetType: 'command', command: 1, codec: 'avc', enhanced: false }) },
  'truncated-empty.bin': { video: 'ERR_FLV_TAG_MALFORMED', audio: 'ERR_FLV_TAG_MALFORMED', script: 'ERR_FLV_TAG_MALFORMED' },
  'truncated-video-avc-header-4-bytes.bin': { video: 'ERR_FLV_TAG_MALFORMED' },
  'truncated-video-ertmp-fourcc.bin': { video: 'ERR_FLV_TAG_MALFORMED', audio: 'ERR_FLV_TAG_MALFORMED' },
  'truncated-audio-aac-1-byte.bin': { audio: 'ERR_FLV_TAG_MALFORMED' },
  'truncated-script-onmetadata-at-100.bin': { script: 'ERR_FLV_TAG_MALFORMED' },
  'hostile-video-codec-id-15.bin': { video: 'ERR_FLV_UNSUPPORTED_CODEC' },
  'hostile-video-unknown-fourcc.bin': { video: 'ERR_FLV_UNSUPPORTED_CODEC', audio: 'ERR_FLV_UNSUPPORTED_CODEC' },
  // E-RTMP ModEx (packet type 7) carrying a timestamp offset in ns, then coded frames with CompositionTime 33.
  'hostile-video-ertmp-mod-ex-nano-offset.bin': {
    video: (tag) => {
      expect(tag).toMatchObject({ codec: 'hevc', frameType: 'key', packetType: 'coded-frames', compositionTimeMs: 33, enhanced: true });
      expect(dataOf(tag)).toBe('01');
    },
  },
  'hostile-audio-ex-header-reserved-packet-type.bin': { audio: 'ERR_FLV_TAG_MALFORMED' },
  'hostile-script-10000-deep.bin': { script: 'ERR_FLV_TAG_MALFORMED' },
  'hostile-script-name-not-a-string.bin': { script: 'ERR_FLV_TAG_MALFORMED' },
  'hostile-video-composition-time-minus-1.bin': { video: (tag) => expect(tag).toMatchObject({ codec: 'avc', frameType: 'inter', compositionTimeMs: -1 }) },
};

describe('corpus', () => {
  const files = corpus('flv-tag');

  it('every valid sample has its expected value, every expectation its file', () => expectTableMatchesCorpus(files, TAG_CORPUS));

  it.each(files)('$name: each parser gives a tag or an FlvError, as pinned', (file) => {
    const expected = TAG_CORPUS[file.name];
    expectOutcome(replay(file, FlvError, parseVideoTag), expected?.video);
    expectOutcome(replay(file, FlvError, parseAudioTag), expected?.audio);
    expectOutcome(replay(file, FlvError, (bytes) => parseScriptTag(bytes)), expected?.script);
    for (const { parse } of PARSERS) onlyFlvErrors(parse, file.bytes);
  });
});
