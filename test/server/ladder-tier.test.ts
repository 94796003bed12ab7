import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, TranscodeError } from '../../src/errors/index.js';
import { LiveStream, resolveHubOptions } from '../../src/hub/index.js';
import type { AudioTrack, Track, VideoTrack } from '../../src/media/index.js';
import { LadderTier, MIN_FFMPEG_VERSION, type LadderTierEvents, type TranscodeOptions } from '../../src/server/ladder-tier.js';
import type { LadderSpec } from '../../src/transcode/index.js';

/**
 * LadderTier without a real ffmpeg: fake executables that only print a version line (and log
 * their arguments), FFMPEG_PATH pointing nowhere, and a locator that finds nothing (mocked, since
 * this machine's PATH and the optional @ffmpeg-installer package would otherwise find one). No test
 * here spawns an encoder: the ladders that reach a publish are copy-only, which ffmpeg never sees.
 */

/** Whether the mocked locator finds nothing, as on a machine without any ffmpeg. */
const locator = vi.hoisted(() => ({ none: false }));
vi.mock('../../src/transcode/index.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/transcode/index.js')>();
  return { ...actual, locateFfmpeg: (...args: Parameters<typeof actual.locateFfmpeg>) => (locator.none ? Promise.resolve(undefined) : actual.locateFfmpeg(...args)) };
});

let dir = '';
const bin = (name: string): string => join(dir, name);

/** An executable that appends its arguments to `<name>.log` and prints `firstLine`. */
async function fakeFfmpeg(name: string, firstLine: string): Promise<void> {
  await writeFile(bin(name), `#!/bin/sh\necho "$@" >> '${bin(name)}.log'\necho '${firstLine}'\necho 'built with gcc 12 (Debian 12.2.0-14)'\n`);
  await chmod(bin(name), 0o755);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-ladder-tier-'));
  await fakeFfmpeg('ffmpeg-4.4', 'ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright (c) 2000-2021 the FFmpeg developers');
  await fakeFfmpeg('ffmpeg-5.0', 'ffmpeg version 5.0.3 Copyright (c) 2000-2022 the FFmpeg developers');
  await fakeFfmpeg('ffmpeg-5.1', 'ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2026 the FFmpeg developers');
  await fakeFfmpeg('ffmpeg-6.1', 'ffmpeg version n6.1.1 Copyright (c) 2000-2023 the FFmpeg developers');
  await fakeFfmpeg('ffmpeg-git', 'ffmpeg version N-47683-g0e8eb07980-static https://johnvansickle.com/ffmpeg/');
  await writeFile(bin('ffmpeg-broken'), '#!/bin/sh\necho "error while loading shared libraries: libx264.so.164" >&2\nexit 127\n');
  await chmod(bin('ffmpeg-broken'), 0o755);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const savedFfmpegPath = process.env['FFMPEG_PATH'];
const tiers: LadderTier[] = [];
afterEach(async () => {
  locator.none = false;
  if (savedFfmpegPath === undefined) delete process.env['FFMPEG_PATH'];
  else process.env['FFMPEG_PATH'] = savedFfmpegPath;
  await Promise.all(tiers.splice(0).map((t) => t.close()));
});

const HUB = resolveHubOptions();
const now = (): number => 1_000;

function tier(options: TranscodeOptions, events: Partial<LadderTierEvents> = {}): LadderTier {
  const t = new LadderTier(options, HUB, now, { warning: () => {}, ...events });
  tiers.push(t);
  return t;
}

const stream = (key = 'cam', app = 'live'): LiveStream => new LiveStream(app, key, now(), HUB);

const COPY_AS = (name: string): LadderSpec => ({ rungs: [{ codec: 'copy', name }] });
const VIDEO: VideoTrack = { id: 1, kind: 'video', codec: 'avc', timescale: 90_000, codecString: 'avc1.64001f', decoderConfig: Uint8Array.of(1, 0x64, 0, 0x1f), width: 1280, height: 720, frameRate: 30, sarWidth: 1, sarHeight: 1 };
const AUDIO: AudioTrack = { id: 2, kind: 'audio', codec: 'aac', timescale: 48_000, codecString: 'mp4a.40.2', decoderConfig: Uint8Array.of(0x11, 0x90), sampleRate: 48_000, channels: 2, samplesPerFrame: 1024 };

describe('LadderTier: construction', () => {
  it('takes a preset name, a spec, a choice function or nothing', () => {
    expect(() => tier({ ladder: 'default' })).not.toThrow();
    expect(() => tier({ ladder: COPY_AS('source') })).not.toThrow();
    expect(() => tier({ ladder: () => undefined })).not.toThrow();
    expect(() => tier({})).not.toThrow();
  });

  it.each(['fancy', 'Default', '', 'constructor'])('an unknown preset name (%j) throws ERR_CONFIG_INVALID at construction, naming the known ones', (name) => {
    let err: unknown;
    try {
      tier({ ladder: name });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: 'ERR_CONFIG_INVALID', details: { option: 'transcode.ladder', value: name } });
    expect((err as Error).message).toContain(`no preset is named ${JSON.stringify(name)} (known: default)`);
  });

  it.each([
    ['no rungs', { rungs: [] }, 'rungs'],
    ['an unknown codec', { rungs: [{ codec: 'vp8', height: 360, bitrateKbps: 500 }] }, 'rungs[0].codec'],
    ['an odd height', { rungs: [{ codec: 'h264', height: 361, bitrateKbps: 500 }] }, 'rungs[0].height'],
    ['no bit rate', { rungs: [{ codec: 'copy' }, { codec: 'h264', height: 360 }] }, 'rungs[1].bitrateKbps'],
  ])('a fixed spec with %s throws ERR_TRANSCODE_LADDER_INVALID at construction, naming the field', (_, ladder, first) => {
    let err: unknown;
    try {
      tier({ ladder: ladder as LadderSpec });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TranscodeError);
    expect(err).toMatchObject({ code: 'ERR_TRANSCODE_LADDER_INVALID', details: { first } });
  });
});

describe('LadderTier: init', () => {
  it('without a ladder, looks for nothing: no ffmpeg, transcoding not "off"', async () => {
    process.env['FFMPEG_PATH'] = join(dir, 'nowhere', 'ffmpeg');
    const t = tier({});
    await t.init();
    expect(t.ffmpeg).toBeUndefined();
    expect(t.off).toBeUndefined();
  });

  it('no ffmpeg anywhere: off, with the message saying where it looked', async () => {
    locator.none = true;
    const t = tier({ ladder: 'default' });
    await t.init();
    expect(t.ffmpeg).toBeUndefined();
    expect(t.off).toBe('no ffmpeg found (FFMPEG_PATH, PATH, @ffmpeg-installer/ffmpeg): transcoding is off');
  });

  it('needed (live jobs may bring a ladder) looks even without a configured ladder', async () => {
    locator.none = true;
    const t = tier({});
    await t.init(true);
    expect(t.off).toContain('no ffmpeg found');
  });

  it('FFMPEG_PATH pointing nowhere: the locator’s ERR_CONFIG_INVALID naming FFMPEG_PATH (an explicit choice is never replaced)', async () => {
    const nowhere = join(dir, 'nowhere', 'ffmpeg');
    process.env['FFMPEG_PATH'] = nowhere;
    const t = tier({ ladder: 'default' });
    await expect(t.init()).rejects.toThrow(ConfigError);
    await expect(t.init()).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID', details: { option: 'FFMPEG_PATH', value: nowhere } });
    expect(t.ffmpeg).toBeUndefined();
  });

  it('FFMPEG_PATH naming a usable ffmpeg is the one found', async () => {
    process.env['FFMPEG_PATH'] = bin('ffmpeg-6.1');
    const t = tier({ ladder: 'default' });
    await t.init();
    expect(t.ffmpeg).toEqual({ path: bin('ffmpeg-6.1'), version: { major: 6, minor: 1 } });
    expect(t.off).toBeUndefined();
  });

  it.each([
    ['ffmpeg-4.4', '4.4'],
    ['ffmpeg-5.0', '5.0'],
  ])('%s is too old: off, naming the path, the version and the floor', async (name, shown) => {
    const t = tier({ ladder: 'default', ffmpegPath: bin(name) });
    await t.init();
    expect(t.ffmpeg).toBeUndefined();
    expect(t.off).toBe(`${bin(name)} is ffmpeg ${shown}; the ladder needs ${MIN_FFMPEG_VERSION.major}.${MIN_FFMPEG_VERSION.minor} or later: transcoding is off`);
  });

  it.each([
    ['ffmpeg-5.1', { major: 5, minor: 1 }],
    ['ffmpeg-6.1', { major: 6, minor: 1 }],
    // A git build names no release: it counts as newer than every release.
    ['ffmpeg-git', { major: 99, minor: 0 }],
  ])('%s is usable: ffmpeg known, not off', async (name, version) => {
    expect(MIN_FFMPEG_VERSION).toEqual({ major: 5, minor: 1 });
    const t = tier({ ladder: COPY_AS('source'), ffmpegPath: bin(name) });
    await t.init();
    expect(t.ffmpeg).toEqual({ path: bin(name), version });
    expect(t.off).toBeUndefined();
  });

  it.each([
    ['exits with an error', 'ffmpeg-broken', 'Command failed'],
    ['does not exist (an explicit ffmpegPath)', 'ffmpeg-missing', 'ENOENT'],
  ])('an ffmpeg that %s: off, saying it does not run', async (_, name, reason) => {
    const t = tier({ ladder: 'default', ffmpegPath: bin(name) });
    await t.init();
    expect(t.ffmpeg).toBeUndefined();
    expect(t.off?.startsWith(`${bin(name)} does not run (`)).toBe(true);
    expect(t.off).toContain(reason);
    expect(t.off?.endsWith('): transcoding is off')).toBe(true);
  });

  it('asks `-hide_banner -version` once: a second init is a no-op', async () => {
    await fakeFfmpeg('ffmpeg-once', 'ffmpeg version 7.0.2-static https://johnvansickle.com/ffmpeg/');
    const t = tier({ ladder: 'default', ffmpegPath: bin('ffmpeg-once') });
    await t.init();
    await t.init();
    expect((await readFile(`${bin('ffmpeg-once')}.log`, 'utf8')).trim().split('\n')).toEqual(['-hide_banner -version']);
    expect(t.ffmpeg?.version).toEqual({ major: 7, minor: 0 });
  });
});

describe('LadderTier: packaged', () => {
  it('no ladder configured: the stream itself', async () => {
    const t = tier({ ffmpegPath: bin('ffmpeg-6.1') });
    await t.init();
    const s = stream();
    expect(t.packaged(s)).toBe(s);
    expect(t.sessions.size).toBe(0);
  });

  it('a ladder, but transcoding is off (ffmpeg too old): the stream itself', async () => {
    const t = tier({ ladder: 'default', ffmpegPath: bin('ffmpeg-4.4') });
    await t.init();
    const s = stream();
    expect(t.packaged(s)).toBe(s);
    expect(t.sessions.size).toBe(0);
  });

  it('a ladder, but init never ran: the stream itself', () => {
    const t = tier({ ladder: 'default', ffmpegPath: bin('ffmpeg-6.1') });
    const s = stream();
    expect(t.packaged(s)).toBe(s);
  });

  it('a choice that gives this stream no ladder: the stream itself; another stream gets its ladder', async () => {
    const t = tier({ ladder: (_app, key) => (key.startsWith('hd-') ? COPY_AS('hd') : undefined), ffmpegPath: bin('ffmpeg-6.1') });
    await t.init();
    const plain = stream('cam');
    expect(t.packaged(plain)).toBe(plain);
    const hd = stream('hd-cam');
    const output = t.packaged(hd);
    expect(output).not.toBe(hd);
    expect(output).toBeInstanceOf(LiveStream);
    expect([output.app, output.streamKey]).toEqual(['live', 'hd-cam']);
    expect(t.packaged(hd)).toBe(output);
    expect(t.sessions.size).toBe(1);
  });

  it('a preset name chosen for a stream gives that preset’s session', async () => {
    const t = tier({ ladder: () => 'default', ffmpegPath: bin('ffmpeg-6.1') });
    await t.init();
    const s = stream();
    expect(t.packaged(s)).not.toBe(s);
    expect(t.sessions.get(s)?.state).toBe('waiting');
  });

  it('the ladder runs when the source publishes: its output carries the rung, named by the rung', async () => {
    const states: string[] = [];
    const t = tier({ ladder: COPY_AS('full'), ffmpegPath: bin('ffmpeg-6.1') }, { state: (_, state) => states.push(state) });
    await t.init();
    const s = stream();
    const output = t.packaged(s);
    s.applyTracks([VIDEO, AUDIO]);
    await vi.waitFor(() => expect(t.stats(s)?.plan?.rungs).toEqual(['full']));
    expect(t.stats(s)?.state).toBe('passthrough');
    expect(states).toContain('passthrough');
    s.applySample({ trackId: 1, dts: 0, pts: 0, duration: 0, keyframe: true, data: Uint8Array.of(0, 0, 0, 1, 0x65) }, now());
    await vi.waitFor(() => expect(output.tracks.length).toBe(2));
    const rung = output.tracks.find((track: Track) => track.kind === 'video')!;
    expect(t.renditionName(s, rung)).toBe('full');
    expect(t.renditionName(s, output.tracks.find((track: Track) => track.kind === 'audio')!)).toBeUndefined();
    expect(t.renditionName(stream('other'), rung)).toBeUndefined();
  });

  it('a live job’s ladder comes before the configured one; without one, the configured ladder applies', async () => {
    const configured = vi.fn((_app: string, key: string) => (key === 'cam' ? COPY_AS('configured') : undefined));
    const t = tier({ ladder: configured, ffmpegPath: bin('ffmpeg-6.1') });
    await t.init();
    t.jobLadder = (_app, key) => (key === 'job-cam' ? COPY_AS('job') : undefined);

    const jobStream = stream('job-cam');
    expect(t.packaged(jobStream)).not.toBe(jobStream);
    expect(configured).not.toHaveBeenCalled();
    jobStream.applyTracks([VIDEO, AUDIO]);
    await vi.waitFor(() => expect(t.stats(jobStream)?.plan?.rungs).toEqual(['job']));

    const cam = stream('cam');
    expect(t.packaged(cam)).not.toBe(cam);
    expect(configured).toHaveBeenCalledWith('live', 'cam');
    cam.applyTracks([VIDEO, AUDIO]);
    await vi.waitFor(() => expect(t.stats(cam)?.plan?.rungs).toEqual(['configured']));
  });

  it('a job’s ladder applies even when no ladder is configured', async () => {
    const t = tier({ ffmpegPath: bin('ffmpeg-6.1') });
    await t.init(true);
    t.jobLadder = () => COPY_AS('job');
    const s = stream();
    expect(t.packaged(s)).not.toBe(s);
  });

  it('forget() and close() stop and drop the sessions', async () => {
    const t = tier({ ladder: COPY_AS('source'), ffmpegPath: bin('ffmpeg-6.1') });
    await t.init();
    const a = stream('a');
    const b = stream('b');
    t.packaged(a);
    t.packaged(b);
    expect(t.sessions.size).toBe(2);
    await t.forget(a);
    expect([...t.sessions.keys()]).toEqual([b]);
    const session = t.sessions.get(b)!;
    await t.close();
    expect(t.sessions.size).toBe(0);
    expect(session.state).toBe('stopped');
  });
});
