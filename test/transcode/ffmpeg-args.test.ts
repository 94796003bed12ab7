import { describe, expect, it } from 'vitest';
import { checkLadderSpec, encoderArgs, ffmpegArgs, filterGraph, planLadder, type LadderSource, type PlannedEncode, type RungSpec } from '../../src/transcode/index.js';

/** The ffmpeg argv of a planned ladder, as golden arrays: the whole command once, then one table per option. */

const V51 = { major: 5, minor: 1 };
const SOURCE: LadderSource = { video: { codec: 'avc', width: 1280, height: 720, frameRate: 30 }, audio: { codec: 'aac' } };

function plan(rungs: RungSpec[], source = SOURCE, audio?: { bitrateKbps: number }) {
  return planLadder(checkLadderSpec({ rungs, ...(audio ? { audio } : {}) }), source, { major: 6, minor: 1 });
}

function encode(rung: RungSpec): PlannedEncode {
  return plan([rung]).rungs[0] as PlannedEncode;
}

describe('ffmpegArgs: the whole command', () => {
  it('720p source, a copy rung and two encodes, AAC audio: one decode, a split, a pipe per encode, audio untouched', () => {
    const p = planLadder(checkLadderSpec({ rungs: [{ codec: 'copy' }, { codec: 'h264', height: 480, bitrateKbps: 1200 }, { codec: 'h264', height: 240, bitrateKbps: 300, preset: 'ultrafast' }] }), SOURCE, V51);
    const command = ffmpegArgs(p, { version: V51 });
    expect(command.outputs).toEqual([
      { fd: 3, name: '480p' },
      { fd: 4, name: '240p' },
    ]);
    expect(command.args).toEqual([
      '-hide_banner', '-nostdin', '-loglevel', 'warning', '-probesize', '32768', '-analyzeduration', '0', '-f', 'flv', '-i', 'pipe:0', '-copyts',
      '-filter_complex', '[0:v:0]split=2[s0][s1];[s0]scale=854:480[v0];[s1]scale=426:240[v1]',
      '-map', '[v0]', '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-b:v', '1200k', '-maxrate', '1200k', '-bufsize', '1200k',
      '-g', '1000000', '-keyint_min', '1000000', '-sc_threshold', '0', '-force_key_frames', 'source', '-forced-idr', '1',
      '-fps_mode', 'passthrough', '-enc_time_base', '-1', '-an', '-flvflags', 'no_duration_filesize', '-f', 'flv', 'pipe:3',
      '-map', '[v1]', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-b:v', '300k', '-maxrate', '300k', '-bufsize', '300k',
      '-g', '1000000', '-keyint_min', '1000000', '-sc_threshold', '0', '-force_key_frames', 'source', '-forced-idr', '1',
      '-fps_mode', 'passthrough', '-enc_time_base', '-1', '-an', '-flvflags', 'no_duration_filesize', '-f', 'flv', 'pipe:4',
    ]); // prettier-ignore
  });

  it('nothing to encode (a copy rung, AAC audio): no command at all', () => {
    expect(ffmpegArgs(plan([{ codec: 'copy' }]), { version: V51 })).toEqual({ args: [], outputs: [] });
  });

  it('audio that is not AAC: one AAC encode on the pipe after the rungs', () => {
    const p = plan([{ codec: 'h264', height: 360, bitrateKbps: 800 }], { ...SOURCE, audio: { codec: 'mp3' } }, { bitrateKbps: 96 });
    const command = ffmpegArgs(p, { version: V51 });
    expect(command.outputs).toEqual([
      { fd: 3, name: '360p' },
      { fd: 4, name: 'audio' },
    ]);
    expect(command.args.slice(-12)).toEqual(['-map', '0:a:0', '-c:a', 'aac', '-b:a', '96k', '-vn', '-flvflags', 'no_duration_filesize', '-f', 'flv', 'pipe:4']);
  });

  it.each([
    ['two rungs', [{ codec: 'h264', height: 480, bitrateKbps: 1200 }, { codec: 'h264', height: 240, bitrateKbps: 300 }] as RungSpec[], 5],
    ['one rung', [{ codec: 'h264', height: 240, bitrateKbps: 300 }] as RungSpec[], 4],
  ])('progress: %s → -progress on the pipe after the outputs, stats off', (_name, rungs, fd) => {
    const command = ffmpegArgs(plan(rungs), { version: V51, progress: true });
    expect(command.progressFd).toBe(fd);
    expect(command.args.slice(-3)).toEqual(['-progress', `pipe:${fd}`, '-nostats']);
    expect(ffmpegArgs(plan(rungs), { version: V51 }).progressFd).toBeUndefined();
  });

  it('audio only and not AAC: the audio encode alone, on pipe 3', () => {
    const p = plan([{ codec: 'h264', height: 360, bitrateKbps: 800 }], { audio: { codec: 'speex' } });
    const command = ffmpegArgs(p, { version: V51 });
    expect(command.outputs).toEqual([{ fd: 3, name: 'audio' }]);
    expect(command.args).not.toContain('-filter_complex');
  });
});

describe('one table per option', () => {
  it.each([
    ['5.1', { major: 5, minor: 1 }, '-1'],
    ['6.0', { major: 6, minor: 0 }, '-1'],
    ['6.1 (renamed value)', { major: 6, minor: 1 }, 'demux'],
    ['7.1', { major: 7, minor: 1 }, 'demux'],
  ])('-enc_time_base with ffmpeg %s', (_, version, value) => {
    const args = ffmpegArgs(plan([{ codec: 'h264', height: 360, bitrateKbps: 800 }]), { version }).args;
    expect(args[args.indexOf('-enc_time_base') + 1]).toBe(value);
  });

  it.each([
    [{}, ['-preset', 'veryfast']],
    [{ preset: 'ultrafast' }, ['-preset', 'ultrafast']],
    [{ preset: 'medium' }, ['-preset', 'medium']],
  ] as const)('preset %j', (extra, expected) => {
    const args = encoderArgs(encode({ codec: 'h264', height: 360, bitrateKbps: 800, ...extra }));
    expect(args.slice(args.indexOf('-preset'), args.indexOf('-preset') + 2)).toEqual(expected);
  });

  it.each([
    [{}, undefined],
    [{ profile: 'high' }, 'high'],
    [{ profile: 'baseline' }, 'baseline'],
  ] as const)('profile %j', (extra, expected) => {
    const args = encoderArgs(encode({ codec: 'h264', height: 360, bitrateKbps: 800, ...extra }));
    expect(args.includes('-profile:v') ? args[args.indexOf('-profile:v') + 1] : undefined).toBe(expected);
  });

  it.each([
    [{ bitrateKbps: 800 }, ['-b:v', '800k', '-maxrate', '800k', '-bufsize', '800k']],
    [{ bitrateKbps: 800, maxRateKbps: 1000 }, ['-b:v', '800k', '-maxrate', '1000k', '-bufsize', '1000k']],
    [{ bitrateKbps: 800, maxRateKbps: 1000, bufferSizeKbits: 2000 }, ['-b:v', '800k', '-maxrate', '1000k', '-bufsize', '2000k']],
  ] as const)('rate control %j', (extra, expected) => {
    const args = encoderArgs(encode({ codec: 'h264', height: 360, ...extra }));
    expect(args.slice(args.indexOf('-b:v'), args.indexOf('-b:v') + 6)).toEqual(expected);
  });

  it.each([
    [{}, undefined],
    [{ threads: 0 }, undefined],
    [{ threads: 2 }, '2'],
  ] as const)('threads %j', (extra, expected) => {
    const args = encoderArgs(encode({ codec: 'h264', height: 360, bitrateKbps: 800, ...extra }));
    expect(args.includes('-threads') ? args[args.indexOf('-threads') + 1] : undefined).toBe(expected);
  });

  it.each([
    ['h264', ['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-b:v', '800k', '-maxrate', '800k', '-bufsize', '800k', '-g', '1000000', '-keyint_min', '1000000', '-sc_threshold', '0', '-force_key_frames', 'source', '-forced-idr', '1']],
    ['h265', ['-c:v', 'libx265', '-preset', 'veryfast', '-tune', 'zerolatency', '-b:v', '800k', '-maxrate', '800k', '-bufsize', '800k', '-x265-params', 'keyint=1000000:min-keyint=1000000:scenecut=0:open-gop=0', '-force_key_frames', 'source', '-forced-idr', '1']],
  ] as const)('codec %s: IDRs at the source keyframes only', (codec, expected) => {
    expect(encoderArgs(encode({ codec, height: 360, bitrateKbps: 800 }))).toEqual(expected);
  });

  it.each([
    [[{ codec: 'h264', height: 360, bitrateKbps: 800 }], '[0:v:0]scale=640:360[v0]'],
    [[{ codec: 'h264', height: 360, bitrateKbps: 800, frameRate: 15 }], "[0:v:0]select='eq(key\\,1)+not(mod(n\\,2))',scale=640:360[v0]"],
    [[{ codec: 'h264', height: 360, bitrateKbps: 800, frameRate: 10 }], "[0:v:0]select='eq(key\\,1)+not(mod(n\\,3))',scale=640:360[v0]"],
    [
      [
        { codec: 'h264', height: 720, bitrateKbps: 2500 },
        { codec: 'h264', height: 360, bitrateKbps: 800, frameRate: 15 },
        { codec: 'h264', width: 320, bitrateKbps: 300 },
      ],
      "[0:v:0]split=3[s0][s1][s2];[s0]scale=1280:720[v0];[s1]select='eq(key\\,1)+not(mod(n\\,2))',scale=640:360[v1];[s2]scale=320:180[v2]",
    ],
  ] as const)('filter graph %#', (rungs, expected) => {
    const encodes = plan(rungs as unknown as RungSpec[]).rungs as PlannedEncode[];
    expect(filterGraph(encodes)).toBe(expected);
  });

  it.each([
    [undefined, 'warning'],
    ['info', 'info'],
  ] as const)('-loglevel %s', (logLevel, expected) => {
    const args = ffmpegArgs(plan([{ codec: 'h264', height: 360, bitrateKbps: 800 }]), { version: V51, ...(logLevel ? { logLevel } : {}) }).args;
    expect(args[args.indexOf('-loglevel') + 1]).toBe(expected);
  });
});

describe('added keyframes (a source GOP longer than the segment target)', () => {
  it('every encoded rung forces an IDR every N seconds from its first frame, instead of at the source keyframes', () => {
    const p = planLadder(checkLadderSpec({ rungs: [{ codec: 'copy' }, { codec: 'h264', height: 480, bitrateKbps: 1200 }, { codec: 'h264', height: 240, bitrateKbps: 300 }] }), SOURCE, V51, {
      addKeyframes: { everySeconds: 2, sourceGopSeconds: 8.3 },
    });
    const { args } = ffmpegArgs(p, { version: V51 });
    const forced = args.flatMap((a, i) => (a === '-force_key_frames' ? [args[i + 1]] : []));
    expect(forced).toEqual(['expr:gte(t,n_forced*2)', 'expr:gte(t,n_forced*2)']);
    expect(encoderArgs(encode({ codec: 'h264', height: 360, bitrateKbps: 800 }), { everySeconds: 1.5 })).toContain('expr:gte(t,n_forced*1.5)');
  });
});
