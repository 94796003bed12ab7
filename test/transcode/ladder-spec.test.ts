import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TranscodeError } from '../../src/errors/index.js';
import { LadderSpecError, MAX_PROBLEMS, MAX_RUNGS, checkLadderSpec, ladderProblems, rungName } from '../../src/transcode/index.js';

/** The ladder spec's checks: every problem with its field path, all at once. */

const RUNG = { codec: 'h264', height: 480, bitrateKbps: 1200 } as const;

function problemsOf(input: unknown): string[] {
  return ladderProblems(input).map((p) => `${p.path}: ${p.message}`);
}

describe('checkLadderSpec: what is accepted', () => {
  it.each([
    ['one encoded rung', { rungs: [RUNG] }],
    ['a copy rung and two encodes', { rungs: [{ codec: 'copy' }, RUNG, { codec: 'h264', height: 240, bitrateKbps: 300 }] }],
    ['width only', { rungs: [{ codec: 'h264', width: 640, bitrateKbps: 800 }] }],
    ['every field', { rungs: [{ name: 'hd', codec: 'h264', width: 1280, height: 720, frameRate: 30, bitrateKbps: 2500, maxRateKbps: 3000, bufferSizeKbits: 5000, preset: 'ultrafast', profile: 'high', threads: 2 }], audio: { bitrateKbps: 96 } }],
    ['h265 main', { rungs: [{ codec: 'h265', height: 720, bitrateKbps: 1500, profile: 'main' }] }],
    ['a copy rung at the source rate', { rungs: [{ codec: 'copy', frameRate: 'source', name: 'src' }] }],
  ])('%s', (_, spec) => {
    expect(problemsOf(spec)).toEqual([]);
    expect(checkLadderSpec(spec)).toBe(spec);
  });
});

describe('checkLadderSpec: each problem names its field', () => {
  it.each([
    ['not an object', 'rungs', [': must be an object with "rungs", got "rungs"']],
    ['no rungs', {}, ['rungs: must be an array of rungs, got nothing']],
    ['empty rungs', { rungs: [] }, ['rungs: must have at least one rung']],
    ['too many rungs', { rungs: Array.from({ length: MAX_RUNGS + 1 }, (_, i) => ({ ...RUNG, name: `r${i}` })) }, [`rungs: must have at most ${MAX_RUNGS} rungs, got ${MAX_RUNGS + 1}`]],
    ['unknown top-level field', { rungs: [RUNG], Output: {} }, ['Output: is not a field of a ladder spec (rungs, audio)']],
    ['rung not an object', { rungs: [7] }, ['rungs[0]: must be an object, got 7']],
    ['bad codec', { rungs: [{ ...RUNG, codec: 'vp9' }] }, ['rungs[0].codec: must be one of h264, h265, copy, got "vp9"']],
    ['no size', { rungs: [{ codec: 'h264', bitrateKbps: 500 }] }, ['rungs[0].height: is required (or width): the picture size of an encoded rung']],
    ['odd height', { rungs: [{ ...RUNG, height: 481 }] }, ['rungs[0].height: must be an even integer from 16 to 4320, got 481']],
    ['width too large', { rungs: [{ ...RUNG, width: 8000 }] }, ['rungs[0].width: must be an even integer from 16 to 7680, got 8000']],
    ['no bit rate', { rungs: [{ codec: 'h264', height: 480 }] }, ['rungs[0].bitrateKbps: is required for an encoded rung']],
    ['bit rate as a string', { rungs: [{ ...RUNG, bitrateKbps: '1200k' }] }, ['rungs[0].bitrateKbps: must be an integer from 16 to 100000, got "1200k"']],
    ['max rate below the bit rate', { rungs: [{ ...RUNG, maxRateKbps: 800 }] }, ['rungs[0].maxRateKbps: must be at least bitrateKbps (1200), got 800']],
    ['buffer size 0', { rungs: [{ ...RUNG, bufferSizeKbits: 0 }] }, ['rungs[0].bufferSizeKbits: must be an integer from 16 to 400000, got 0']],
    ['bad preset', { rungs: [{ ...RUNG, preset: 'turbo' }] }, ['rungs[0].preset: must be one of ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow, placebo, got "turbo"']],
    ['h265 high profile', { rungs: [{ ...RUNG, codec: 'h265', profile: 'high' }] }, ['rungs[0].profile: must be one of main for h265, got "high"']],
    ['threads fraction', { rungs: [{ ...RUNG, threads: 1.5 }] }, ['rungs[0].threads: must be an integer from 0 to 64, got 1.5']],
    ['frame rate 0', { rungs: [{ ...RUNG, frameRate: 0 }] }, ["rungs[0].frameRate: must be 'source' or frames per second (1 to 240), got 0"]],
    ['unknown rung field', { rungs: [{ ...RUNG, crf: 23 }] }, ['rungs[0].crf: is not a field of a rung (name, codec, width, height, frameRate, bitrateKbps, maxRateKbps, bufferSizeKbits, preset, profile, threads)']],
    ['copy rung with a size', { rungs: [{ codec: 'copy', height: 720 }] }, ['rungs[0].height: does not apply to a copy rung (the source passes through as it is)']],
    ['copy rung at another rate', { rungs: [{ codec: 'copy', frameRate: 15 }] }, ["rungs[0].frameRate: must be 'source' for a copy rung"]],
    ['two copy rungs', { rungs: [{ codec: 'copy' }, { codec: 'copy', name: 'again' }] }, ['rungs: may have one copy (source) rung only']],
    ['same default name', { rungs: [RUNG, { ...RUNG, bitrateKbps: 900 }] }, ['rungs[1].name: "480p" is also rungs[0]\'s name: give each rung its own']],
    ['bad name', { rungs: [{ ...RUNG, name: '../x' }] }, ["rungs[0].name: must be 1–32 letters, digits, '_' or '-' (starting with a letter or digit), got \"../x\""]],
    ['reserved name', { rungs: [{ ...RUNG, name: 'audio' }] }, ['rungs[0].name: "audio" is the audio rendition\'s folder']],
    ['audio bit rate', { rungs: [RUNG], audio: { bitrateKbps: 4 } }, ['audio.bitrateKbps: must be an integer from 16 to 512, got 4']],
    ['unknown audio field', { rungs: [RUNG], audio: { codec: 'opus' } }, ['audio.codec: is not a field of audio (bitrateKbps)']],
  ])('%s', (_, spec, expected) => {
    expect(problemsOf(spec)).toEqual(expected);
  });

  it('reports every problem at once, and the error carries them', () => {
    const spec = { rungs: [{ codec: 'h264', height: 481 }, { codec: 'av1', height: 240, bitrateKbps: 300 }], audio: 5 };
    let error: unknown;
    try {
      checkLadderSpec(spec);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LadderSpecError);
    expect(error).toBeInstanceOf(TranscodeError);
    const e = error as LadderSpecError;
    expect(e.code).toBe('ERR_TRANSCODE_LADDER_INVALID');
    expect(e.problems.map((p) => p.path)).toEqual(['rungs[0].height', 'rungs[0].bitrateKbps', 'rungs[1].codec', 'audio']);
    expect(e.message).toBe('invalid ladder spec: rungs[0].height: must be an even integer from 16 to 4320, got 481; rungs[0].bitrateKbps: is required for an encoded rung; rungs[1].codec: must be one of h264, h265, copy, got "av1" (and 1 more)');
    expect(e.details).toEqual({ problems: 4, first: 'rungs[0].height' });
  });

  it('a spec with thousands of unknown fields gets MAX_PROBLEMS problems, not one each', () => {
    const spec = Object.fromEntries([['rungs', [RUNG]], ...Array.from({ length: 10_000 }, (_, i) => [`f${i}`, i])]);
    const problems = ladderProblems(spec);
    expect(problems).toHaveLength(MAX_PROBLEMS);
    expect(problems[0]).toEqual({ path: 'f0', message: 'is not a field of a ladder spec (rungs, audio)' });
  });

  it('any JSON value is either accepted or refused with LadderSpecError; nothing else is thrown', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ rungs: fc.array(fc.dictionary(fc.constantFrom('codec', 'height', 'width', 'bitrateKbps', 'name', 'frameRate', 'x'), fc.jsonValue()), { maxLength: 4 }) })), (input) => {
        try {
          checkLadderSpec(input);
        } catch (e) {
          if (!(e instanceof LadderSpecError) || e.problems.length === 0) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('rungName', () => {
  it.each([
    [{ codec: 'copy' }, 'source'],
    [{ codec: 'h264', height: 720 }, '720p'],
    [{ codec: 'h264', width: 640 }, '640w'],
    [{ codec: 'h264', height: 720, name: 'hd' }, 'hd'],
  ] as const)('%j → %s', (rung, name) => {
    expect(rungName(rung)).toBe(name);
  });
});
