import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildAudioTag,
  buildAudioTagParts,
  buildVideoTag,
  buildVideoTagParts,
  joinTagParts,
  type AudioTagInit,
  type VideoTagInit,
} from '../../src/flv/index.js';

/**
 * buildVideoTagParts / buildAudioTagParts: the header the single-buffer builders write, and the
 * caller's payload itself (the same object, never a copy); joined, exactly the single-buffer tag.
 */

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const HEADERS: Array<{ why: string; tag: VideoTagInit | AudioTagInit; kind: 'video' | 'audio'; header: string }> = [
  { why: 'AVC key frame, CompositionTime 66', kind: 'video', tag: { codec: 'avc', frameType: 'key', packetType: 'coded-frames', compositionTimeMs: 66, data: Uint8Array.of(9) }, header: '1701000042' },
  { why: 'AVC sequence header', kind: 'video', tag: { codec: 'avc', frameType: 'key', packetType: 'sequence-start', data: Uint8Array.of(1) }, header: '1700000000' },
  { why: 'HEVC inter frame, negative CompositionTime (enhanced CodedFrames)', kind: 'video', tag: { codec: 'hevc', frameType: 'inter', packetType: 'coded-frames', compositionTimeMs: -1, data: Uint8Array.of(9) }, header: 'a168766331ffffff' },
  { why: 'HEVC key frame, CompositionTime 0 (CodedFramesX)', kind: 'video', tag: { codec: 'hevc', frameType: 'key', packetType: 'coded-frames', data: Uint8Array.of(9) }, header: '9368766331' },
  { why: 'command frame: no payload', kind: 'video', tag: { frameType: 'command', packetType: 'command', command: 1 }, header: '5701' },
  { why: 'AAC raw frame', kind: 'audio', tag: { codec: 'aac', data: Uint8Array.of(0x21) }, header: 'af01' },
  { why: 'AAC sequence header', kind: 'audio', tag: { codec: 'aac', packetType: 'sequence-start', data: Uint8Array.of(0x11, 0x90) }, header: 'af00' },
  { why: 'Opus (enhanced)', kind: 'audio', tag: { codec: 'opus', data: Uint8Array.of(0xfc) }, header: '914f707573' },
];

function parts(kind: 'video' | 'audio', tag: VideoTagInit | AudioTagInit) {
  return kind === 'video' ? buildVideoTagParts(tag as VideoTagInit) : buildAudioTagParts(tag as AudioTagInit);
}
function whole(kind: 'video' | 'audio', tag: VideoTagInit | AudioTagInit): Uint8Array {
  return kind === 'video' ? buildVideoTag(tag as VideoTagInit) : buildAudioTag(tag as AudioTagInit);
}

describe('tag parts', () => {
  it.each(HEADERS)('$why: header bytes, the payload itself, joined = buildXTag', ({ kind, tag, header }) => {
    const p = parts(kind, tag);
    expect(toHex(p.header)).toBe(header);
    if ('data' in tag) expect(p.payload).toBe(tag.data);
    else expect(p.payload.length).toBe(0);
    expect(toHex(joinTagParts(p))).toBe(toHex(whole(kind, tag)));
  });

  it('property: for any AVC/HEVC/AAC media tag, the parts joined are the single-buffer tag', () => {
    const data = fc.uint8Array({ maxLength: 32 });
    const video = fc.record({
      codec: fc.constantFrom('avc' as const, 'hevc' as const),
      frameType: fc.constantFrom('key' as const, 'inter' as const, 'disposable' as const),
      packetType: fc.constant('coded-frames' as const),
      compositionTimeMs: fc.integer({ min: -0x800000, max: 0x7fffff }),
      data,
    });
    const audio = fc.record({ codec: fc.constant('aac' as const), packetType: fc.constantFrom('sequence-start' as const, 'coded-frames' as const), data });
    fc.assert(
      fc.property(fc.oneof(video.map((t) => ['video', t] as const), audio.map((t) => ['audio', t] as const)), ([kind, tag]) => {
        const p = parts(kind, tag);
        expect(p.payload).toBe(tag.data);
        expect(toHex(joinTagParts(p))).toBe(toHex(whole(kind, tag)));
      }),
    );
  });

  it('errors are the same as the single-buffer builders\'', () => {
    const bad: VideoTagInit = { codec: 'av1', frameType: 'key', packetType: 'coded-frames', data: Uint8Array.of(1), enhanced: false };
    expect(() => buildVideoTagParts(bad)).toThrow(expect.objectContaining({ code: 'ERR_FLV_UNSUPPORTED_CODEC' }));
    expect(() => buildAudioTagParts({ codec: 'aac', packetType: 'sequence-end', data: Uint8Array.of() })).toThrow(expect.objectContaining({ code: 'ERR_FLV_TAG_MALFORMED' }));
  });
});
