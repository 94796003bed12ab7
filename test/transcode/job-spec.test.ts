import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LADDER_PRESETS } from '../../src/transcode/ladder-presets.js';
import { LadderSpecError, MAX_PROBLEMS, MAX_RUNGS, checkLadderSpec, type LadderSpec } from '../../src/transcode/ladder-spec.js';
import { parseJobRequest, type JobSpec } from '../../src/transcode/job-spec.js';

/** Live job requests in our format and in ezLiveStreaming's: what is accepted, and each bad field's path. */

const FIXTURE = JSON.parse(readFileSync(new URL('../../fixtures/jobs/ezls-sample-job.json', import.meta.url), 'utf8')) as { Output: Record<string, unknown> };
const RUNG = { codec: 'h264', height: 480, bitrateKbps: 1200 } as const;

/** The paths LadderSpecError names for `body` (the test fails when it parses). */
function problemPaths(body: unknown): string[] {
  try {
    parseJobRequest(body);
  } catch (err) {
    expect(err).toBeInstanceOf(LadderSpecError);
    return (err as LadderSpecError).problems.map((p) => p.path);
  }
  throw new Error(`parsed: ${JSON.stringify(body)}`);
}

function problemsOf(body: unknown): string[] {
  try {
    parseJobRequest(body);
    return [];
  } catch (err) {
    return (err as LadderSpecError).problems.map((p) => `${p.path}: ${p.message}`);
  }
}

/** The fixture with `edit` applied to a copy of its Output. */
function ezls(edit: (output: Record<string, unknown>, videos: Record<string, unknown>[]) => void): unknown {
  const output = structuredClone(FIXTURE.Output);
  edit(output, output['Video_outputs'] as Record<string, unknown>[]);
  return { Output: output };
}

describe('parseJobRequest: our format', () => {
  it.each<[string, unknown, JobSpec]>([
    ['a preset by name', { ladder: 'default' }, { app: 'live', ladder: LADDER_PRESETS['default']!, preset: 'default', output: {}, format: 'tidecast', notes: [] }],
    ['a ladder, an app and both output options', { app: 'studio-1', ladder: { rungs: [RUNG], audio: { bitrateKbps: 96 } }, output: { segmentSeconds: 4, lowLatency: true } }, { app: 'studio-1', ladder: { rungs: [RUNG], audio: { bitrateKbps: 96 } }, output: { segmentSeconds: 4, lowLatency: true }, format: 'tidecast', notes: [] }],
    ['an empty output', { ladder: { rungs: [{ codec: 'copy' }] }, output: {} }, { app: 'live', ladder: { rungs: [{ codec: 'copy' }] }, output: {}, format: 'tidecast', notes: [] }],
    ['DASH as the playback URL', { ladder: { rungs: [RUNG] }, output: { streamType: 'dash', segmentFormat: 'cmaf' } }, { app: 'live', ladder: { rungs: [RUNG] }, output: { streamType: 'dash', segmentFormat: 'cmaf' }, format: 'tidecast', notes: [] }],
    ['HLS over MPEG-TS', { ladder: { rungs: [RUNG] }, output: { streamType: 'hls', segmentFormat: 'mpegts' } }, { app: 'live', ladder: { rungs: [RUNG] }, output: { streamType: 'hls', segmentFormat: 'mpegts' }, format: 'tidecast', notes: [] }],
    ['low latency off, fractional segments', { ladder: { rungs: [RUNG] }, output: { segmentSeconds: 0.5, lowLatency: false } }, { app: 'live', ladder: { rungs: [RUNG] }, output: { segmentSeconds: 0.5, lowLatency: false }, format: 'tidecast', notes: [] }],
  ])('%s', (_, body, expected) => {
    const spec = parseJobRequest(body);
    expect(spec).toEqual(expected);
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });

  it.each<[string, unknown, string[]]>([
    ['not an object', 'default', ['']],
    ['an array', [], ['']],
    ['no ladder', {}, ['ladder']],
    ['an unknown preset', { ladder: 'ultra' }, ['ladder']],
    ['a ladder that is not an object', { ladder: 5 }, ['ladder']],
    ['a bad rung field', { ladder: { rungs: [{ ...RUNG, height: 481 }] } }, ['ladder.rungs[0].height']],
    ['an unknown ladder field', { ladder: { rungs: [RUNG], gop: 2 } }, ['ladder.gop']],
    ['an app that is no stream name', { app: '../etc', ladder: 'default' }, ['app']],
    ['an app that is not a string', { app: 7, ladder: 'default' }, ['app']],
    ['segments of 0 s', { ladder: 'default', output: { segmentSeconds: 0 } }, ['output.segmentSeconds']],
    ['segments of a minute', { ladder: 'default', output: { segmentSeconds: 60 } }, ['output.segmentSeconds']],
    ['lowLatency as a string', { ladder: 'default', output: { lowLatency: 'yes' } }, ['output.lowLatency']],
    ['an unknown streamType', { ladder: 'default', output: { streamType: 'rtsp' } }, ['output.streamType']],
    ['an unknown segmentFormat', { ladder: 'default', output: { segmentFormat: 'ts' } }, ['output.segmentFormat']],
    ['DASH over MPEG-TS', { ladder: 'default', output: { streamType: 'dash', segmentFormat: 'mpegts' } }, ['output.segmentFormat']],
    ['output not an object', { ladder: 'default', output: true }, ['output']],
    ['an unknown output field', { ladder: 'default', output: { partSeconds: 0.2 } }, ['output.partSeconds']],
    ['an unknown job field', { ladder: 'default', name: 'x' }, ['name']],
    [
      'every problem at once',
      { app: '', ladder: { rungs: [RUNG, { codec: 'vp9', height: 720, bitrateKbps: 9 }] }, output: { segmentSeconds: -1, lowLatency: 1 }, extra: 1 },
      ['extra', 'app', 'ladder.rungs[1].codec', 'ladder.rungs[1].bitrateKbps', 'output.segmentSeconds', 'output.lowLatency'],
    ],
  ])('%s', (_, body, paths) => {
    expect(problemPaths(body)).toEqual(paths);
  });

  it('says what a field must be', () => {
    expect(problemsOf({ ladder: 'default', output: { segmentSeconds: 0 } })).toEqual(['output.segmentSeconds: must be a number from 0.1 to 30 (seconds), got 0']);
    expect(problemsOf({ ladder: 'ultra' })).toEqual(['ladder: must be a ladder spec or a preset name (default), got "ultra"']);
  });
});

describe("parseJobRequest: ezLiveStreaming's format", () => {
  const fixtureLadder: LadderSpec = {
    rungs: [
      { name: 'video2400k', codec: 'h264', width: 1280, height: 720, frameRate: 30, bitrateKbps: 2400, maxRateKbps: 3000, bufferSizeKbits: 4800, preset: 'veryfast', threads: 4 },
      { name: 'video1200k', codec: 'h264', width: 854, height: 480, frameRate: 30, bitrateKbps: 1200, maxRateKbps: 1500, bufferSizeKbits: 2400, preset: 'veryfast', threads: 2 },
      { name: 'video600k', codec: 'h265', width: 640, height: 360, frameRate: 15, bitrateKbps: 600, maxRateKbps: 800, bufferSizeKbits: 1200, preset: 'faster', threads: 2 },
    ],
    audio: { bitrateKbps: 96 },
  };

  it('the fixture is accepted and mapped field by field', () => {
    const spec = parseJobRequest(FIXTURE);
    expect({ ...spec, notes: [] }).toEqual({ app: 'live', ladder: fixtureLadder, output: { segmentSeconds: 2, lowLatency: true, streamType: 'hls', segmentFormat: 'fmp4' }, format: 'ezls', notes: [] });
    expect(checkLadderSpec(spec.ladder)).toBe(spec.ladder);
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });

  it('notes every field accepted without effect, once each', () => {
    const fields = parseJobRequest(FIXTURE).notes.map((n) => n.slice(0, n.indexOf(':')));
    expect(fields).toEqual(['Output.Fragment_duration', 'Output.Time_shift_buffer_depth', 'Output.S3_output', 'Output.Video_outputs[].Crf', 'Output.Audio_outputs[0].Bitrate']);
    const withInput = parseJobRequest({ ...FIXTURE, Input: { Url: 'rtmp://0.0.0.0:1935/live/x', JobUdpPortBase: 10000 }, Api_test: 1 });
    expect(withInput.notes.filter((n) => n.startsWith('Input') || n.startsWith('Api_test'))).toHaveLength(2);
  });

  it.each<[string, unknown, Partial<JobSpec>]>([
    ["ezLS's earlier boolean Low_latency_mode", ezls((o) => (o['Low_latency_mode'] = false)), { output: { segmentSeconds: 2, lowLatency: false } }],
    ["Go's zero values: Segment_duration 0, Framerate 0, empty Buf_size and Preset", ezls((o, v) => ((o['Segment_duration'] = 0), Object.assign(v[0]!, { Framerate: 0, Buf_size: '', Preset: '' }))), { output: { lowLatency: true } }],
    ['no Audio_outputs', ezls((o) => delete o['Audio_outputs']), {}],
    ['an empty Audio_outputs', ezls((o) => (o['Audio_outputs'] = [])), {}],
    ['DRM fields all empty', ezls((o) => (o['Drm'] = { Disable_clear_key: 0, Protection_system: '', Protection_scheme: '' })), {}],
    ['Detection with only zero values', ezls((o) => (o['Detection'] = { Input_video_frame_rate: 0, Encode_codec: '' })), {}],
    ['no Label: rungs named by height', ezls((o, v) => v.forEach((vo) => delete vo['Label'])), {}],
  ])('%s', (_, body, expected) => {
    const spec = parseJobRequest(body);
    expect(spec).toMatchObject(expected);
    expect(checkLadderSpec(spec.ladder)).toBe(spec.ladder);
  });

  it('Go zero values leave the rung field out (the source rate, the default buffer and preset)', () => {
    const rung = parseJobRequest(ezls((_, v) => Object.assign(v[0]!, { Framerate: 0, Buf_size: '', Preset: '', Threads: 0 }))).ladder.rungs[0]!;
    expect(rung).toEqual({ name: 'video2400k', codec: 'h264', width: 1280, height: 720, bitrateKbps: 2400, maxRateKbps: 3000 });
  });

  it.each([
    ['3000k', 3000],
    ['128K', 128],
    ['4M', 4000],
    ['1.5M', 1500],
    ['2.5k', undefined],
    ['4m', undefined],
    ['3000', undefined],
    [3000, undefined],
    ['k', undefined],
    ['-5k', undefined],
    [' 300k', undefined],
  ])('Bitrate %j → %s kb/s', (bitrate, kbps) => {
    const body = ezls((_, v) => Object.assign(v[0]!, { Bitrate: bitrate, Max_bitrate: '', Buf_size: '' }));
    if (kbps === undefined) expect(problemPaths(body)).toEqual(['Output.Video_outputs[0].Bitrate']);
    else expect(parseJobRequest(body).ladder.rungs[0]!.bitrateKbps).toBe(kbps);
  });

  it.each<[string, unknown, string[]]>([
    ['a bad Bitrate on the second output', ezls((_, v) => (v[1]!['Bitrate'] = 'fast')), ['Output.Video_outputs[1].Bitrate']],
    ['av1', ezls((_, v) => (v[0]!['Codec'] = 'av1')), ['Output.Video_outputs[0].Codec']],
    ['no Codec', ezls((_, v) => delete v[2]!['Codec']), ['Output.Video_outputs[2].Codec']],
    ['an odd Height', ezls((_, v) => (v[0]!['Height'] = 721)), ['Output.Video_outputs[0].Height']],
    ['a Width too large', ezls((_, v) => (v[0]!['Width'] = 8000)), ['Output.Video_outputs[0].Width']],
    ['a Framerate of 500', ezls((_, v) => (v[1]!['Framerate'] = 500)), ['Output.Video_outputs[1].Framerate']],
    ['a Max_bitrate below the Bitrate', ezls((_, v) => (v[0]!['Max_bitrate'] = '1000k')), ['Output.Video_outputs[0].Max_bitrate']],
    ['a bad Buf_size', ezls((_, v) => (v[0]!['Buf_size'] = 500)), ['Output.Video_outputs[0].Buf_size']],
    ['an unknown Preset', ezls((_, v) => (v[0]!['Preset'] = 'turbo')), ['Output.Video_outputs[0].Preset']],
    ['Threads out of range', ezls((_, v) => (v[0]!['Threads'] = 100)), ['Output.Video_outputs[0].Threads']],
    ['a Crf out of range', ezls((_, v) => (v[0]!['Crf'] = 70)), ['Output.Video_outputs[0].Crf']],
    ['a bad Label', ezls((_, v) => (v[0]!['Label'] = 'video 2400k')), ['Output.Video_outputs[0].Label']],
    ['the same Label twice', ezls((_, v) => (v[1]!['Label'] = 'video2400k')), ['Output.Video_outputs[1].Label']],
    ['an unknown video field', ezls((_, v) => (v[0]!['Profile'] = 'high')), ['Output.Video_outputs[0].Profile']],
    ['a video output that is not an object', ezls((_, v) => v.push('720p' as never)), ['Output.Video_outputs[3]']],
    ['no Video_outputs', ezls((o) => delete o['Video_outputs']), ['Output.Video_outputs']],
    ['empty Video_outputs', ezls((o) => (o['Video_outputs'] = [])), ['Output.Video_outputs']],
    ['more outputs than rungs', ezls((o, v) => (o['Video_outputs'] = Array.from({ length: MAX_RUNGS + 1 }, (_, i) => ({ ...v[0], Label: `v${i}` })))), ['Output.Video_outputs']],
    ['DRM configured', ezls((o) => (o['Drm'] = { Disable_clear_key: 0, Protection_system: 'FairPlay', Protection_scheme: 'cbcs' })), ['Output.Drm']],
    ['object detection', ezls((o) => (o['Detection'] = { Input_video_frame_rate: 5, Encode_codec: 'h264' })), ['Output.Detection']],
    ['DASH over MPEG-TS', ezls((o) => ((o['Stream_type'] = 'dash'), (o['Segment_format'] = 'mpegts'))), ['Output.Segment_format']],
    ['an unknown Stream_type', ezls((o) => (o['Stream_type'] = 'rtsp')), ['Output.Stream_type']],
    ['MPEG-TS segments', ezls((o) => (o['Segment_format'] = 'ts')), ['Output.Segment_format']],
    ['Segment_duration of a minute', ezls((o) => (o['Segment_duration'] = 60)), ['Output.Segment_duration']],
    ['Low_latency_mode 2', ezls((o) => (o['Low_latency_mode'] = 2)), ['Output.Low_latency_mode']],
    ['a negative Fragment_duration', ezls((o) => (o['Fragment_duration'] = -1)), ['Output.Fragment_duration']],
    ['Time_shift_buffer_depth as a string', ezls((o) => (o['Time_shift_buffer_depth'] = '120')), ['Output.Time_shift_buffer_depth']],
    ['S3_output not an object', ezls((o) => (o['S3_output'] = 'bucket')), ['Output.S3_output']],
    ['two audio outputs', ezls((o) => (o['Audio_outputs'] = [{ Codec: 'aac', Bitrate: '128k' }, { Codec: 'aac', Bitrate: '64k' }])), ['Output.Audio_outputs']],
    ['MP3 audio', ezls((o) => (o['Audio_outputs'] = [{ Codec: 'mp3', Bitrate: '128k' }])), ['Output.Audio_outputs[0].Codec']],
    ['an audio Bitrate too low', ezls((o) => (o['Audio_outputs'] = [{ Codec: 'aac', Bitrate: '8k' }])), ['Output.Audio_outputs[0].Bitrate']],
    ['an audio Bitrate without unit', ezls((o) => (o['Audio_outputs'] = [{ Codec: 'aac', Bitrate: 128 }])), ['Output.Audio_outputs[0].Bitrate']],
    ['an unknown Output field', ezls((o) => (o['Watermark'] = {})), ['Output.Watermark']],
    ['an unknown Input field', { ...(ezls(() => undefined) as object), Input: { Url: '', Port: 1 } }, ['Input.Port']],
    ["our field in ezLS's format", { ...(ezls(() => undefined) as object), app: 'live' }, ['app']],
    ['Input without Output', { Input: { Url: '' } }, ['Output']],
    [
      'every problem at once',
      ezls((o, v) => {
        o['Drm'] = { Protection_system: 'FairPlay', Protection_scheme: 'cbcs' };
        v[0]!['Codec'] = 'av1';
        v[1]!['Bitrate'] = '1.2.3k';
        v[2]!['Height'] = 361;
      }),
      ['Output.Drm', 'Output.Video_outputs[0].Codec', 'Output.Video_outputs[1].Bitrate', 'Output.Video_outputs[2].Height'],
    ],
  ])('%s', (_, body, paths) => {
    expect(problemPaths(body)).toEqual(paths);
  });

  it("says it in ezLS's names", () => {
    expect(problemsOf(ezls((_, v) => (v[0]!['Max_bitrate'] = '1000k')))).toEqual(['Output.Video_outputs[0].Max_bitrate: must be at least Bitrate ("2400k"), got "1000k"']);
    expect(problemsOf(ezls((_, v) => (v[1]!['Label'] = 'video2400k')))).toEqual(['Output.Video_outputs[1].Label: "video2400k" is also Output.Video_outputs[0]\'s name: give each rung its own']);
    expect(problemsOf(ezls((_, v) => (v[0]!['Codec'] = 'av1')))).toEqual(['Output.Video_outputs[0].Codec: tidecast encodes h264 and h265 only: "av1" is not encoded']);
    expect(problemsOf(ezls((o) => (o['Drm'] = { Protection_system: 'FairPlay', Protection_scheme: 'cbcs' })))).toEqual([
      'Output.Drm: tidecast does not encrypt streams (no DRM, no key server): remove Drm, or leave Protection_system and Protection_scheme empty',
    ]);
  });

  it('reports at most MAX_PROBLEMS problems', () => {
    const body = ezls((o) => Object.assign(o, Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`X${i}`, i]))));
    expect(problemPaths(body)).toHaveLength(MAX_PROBLEMS);
  });
});

describe('parseJobRequest: any input', () => {
  /** A spec accepted is a valid ladder, and survives JSON as it is (what the stores do to it). */
  function check(body: unknown): void {
    let spec: JobSpec;
    try {
      spec = parseJobRequest(body);
    } catch (err) {
      expect(err).toBeInstanceOf(LadderSpecError);
      expect((err as LadderSpecError).problems.length).toBeGreaterThan(0);
      return;
    }
    expect(checkLadderSpec(spec.ladder)).toBe(spec.ladder);
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  }

  it('arbitrary JSON throws nothing but LadderSpecError', () => {
    fc.assert(fc.property(fc.jsonValue(), check), { numRuns: 2000 });
  });

  const value = fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constantFrom('h264', 'h265', 'av1', 'aac', 'mp3', '365k', '4M', 'fmp4', 'hls', 'faster', '', 0, 1, 360, 640, 25));
  const record = (keys: readonly string[]): fc.Arbitrary<Record<string, unknown>> => fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: keys.length });
  const video = record(['Label', 'Codec', 'Framerate', 'Width', 'Height', 'Bitrate', 'Max_bitrate', 'Buf_size', 'Preset', 'Crf', 'Threads', 'Gop_size', 'x']);
  const output = fc.tuple(record(['Stream_type', 'Segment_format', 'Segment_duration', 'Fragment_duration', 'Low_latency_mode', 'Time_shift_buffer_depth', 'Drm', 'Detection', 'S3_output']), fc.array(video, { maxLength: 10 }), fc.array(record(['Codec', 'Bitrate']), { maxLength: 2 }));

  it("ezLS-shaped input throws nothing but LadderSpecError, and what it accepts is a valid ladder", () => {
    fc.assert(fc.property(output, ([options, videos, audios]) => check({ Output: { ...options, Video_outputs: videos, Audio_outputs: audios } })), { numRuns: 2000 });
  });

  it('ours-shaped input too', () => {
    const rung = record(['name', 'codec', 'width', 'height', 'frameRate', 'bitrateKbps', 'preset', 'threads']);
    const body = fc.record({ app: value, ladder: fc.oneof(value, fc.record({ rungs: fc.array(rung, { maxLength: 3 }) })), output: record(['segmentSeconds', 'lowLatency']) }, { requiredKeys: ['ladder'] });
    fc.assert(fc.property(body, check), { numRuns: 2000 });
  });
});
