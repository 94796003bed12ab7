import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { locateFfmpeg, locateFfprobe } from '../../src/transcode/index.js';
import { spawnTool } from './process.js';

/**
 * Helpers for tests that use ffmpeg and ffprobe as oracles. The executables are found once per
 * test process with the server's own locator, so tests and server agree on which binary runs.
 * When one is missing the path helpers resolve to undefined and tests skip with a reason.
 */

let ffmpegLookup: Promise<string | undefined> | undefined;
let ffprobeLookup: Promise<string | undefined> | undefined;

export function ffmpegPath(): Promise<string | undefined> {
  ffmpegLookup ??= locateFfmpeg().then((loc) => loc?.path);
  return ffmpegLookup;
}

export function ffprobePath(): Promise<string | undefined> {
  ffprobeLookup ??= locateFfprobe().then((loc) => loc?.path);
  return ffprobeLookup;
}

/** Absolute path of a file under fixtures/, e.g. `fixturePath('media/h264-aac.flv')`. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url));
}

/** ffprobe's JSON output is a few MB at most for our fixtures; this bounds a runaway probe. */
const FFPROBE_MAX_BUFFER_BYTES = 64 * 1024 * 1024;

/** Runs `ffprobe -v error -of json …args` and parses its output. */
export async function runFfprobeJson<T = unknown>(args: readonly string[]): Promise<T> {
  const ffprobe = await ffprobePath();
  if (ffprobe === undefined) throw new Error('ffprobe not found (FFPROBE_PATH, PATH, @ffprobe-installer/ffprobe)');
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      ffprobe,
      ['-v', 'error', '-of', 'json', ...args],
      { maxBuffer: FFPROBE_MAX_BUFFER_BYTES, encoding: 'utf8' },
      (err, out, stderr) => (err ? reject(new Error(`ffprobe ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(out)),
    );
  });
  return JSON.parse(stdout) as T;
}

export type FfmpegRun = ReturnType<typeof spawnTool>;

/**
 * Starts `ffmpeg -hide_banner -nostdin …args`. At `timeoutMs` the process is killed with SIGKILL
 * by its PID, so a hung encoder cannot outlive the test.
 */
export async function spawnFfmpeg(args: readonly string[], options: { timeoutMs: number }): Promise<FfmpegRun> {
  const ffmpeg = await ffmpegPath();
  if (ffmpeg === undefined) throw new Error('ffmpeg not found (FFMPEG_PATH, PATH, @ffmpeg-installer/ffmpeg)');
  return spawnTool(ffmpeg, ['-hide_banner', '-nostdin', ...args], options);
}

export interface ProbedPacket {
  readonly ptsMs: number | undefined;
  readonly dtsMs: number | undefined;
  readonly size: number;
  readonly keyframe: boolean;
}

interface RawPacket {
  codec_type?: string;
  pts_time?: string;
  dts_time?: string;
  size?: string;
  flags?: string;
}

/** ffprobe's packets of `file`, grouped by codec type ('video', 'audio', …), in file order. */
export async function probePackets(file: string): Promise<Record<string, ProbedPacket[]>> {
  const out = await runFfprobeJson<{ packets?: RawPacket[] }>([
    '-show_entries',
    'packet=codec_type,pts_time,dts_time,size,flags',
    file,
  ]);
  const byType: Record<string, ProbedPacket[]> = {};
  for (const p of out.packets ?? []) {
    const type = p.codec_type ?? 'unknown';
    (byType[type] ??= []).push({
      ptsMs: toMs(p.pts_time),
      dtsMs: toMs(p.dts_time),
      size: Number(p.size ?? 0),
      keyframe: (p.flags ?? '').includes('K'),
    });
  }
  return byType;
}

function toMs(seconds: string | undefined): number | undefined {
  if (seconds === undefined || seconds === 'N/A') return undefined;
  return Math.round(Number(seconds) * 1000);
}

/** The browser tests' publisher: 640x360 testsrc at 30 fps, 2 s GOPs with 2 B-frames, AAC 48 kHz from a sine, `-re` to RTMP for `seconds`. */
export function testsrcPublisherArgs(rtmpUrl: string, seconds: number): string[] {
  return [
    '-v', 'error', '-re',
    '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=30',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '2', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0', '-b:v', '800k', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '96k',
    '-t', String(seconds), '-f', 'flv', rtmpUrl,
  ]; // prettier-ignore
}
