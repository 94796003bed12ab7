import { execFile } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writevSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { readFlvFile } from '../src/flv/index.js';
import type { PackagedFile } from '../src/hls/index.js';
import { packageFlv } from '../src/server/index.js';
import { locateFfmpeg } from '../src/transcode/index.js';
import { benchFlvPath, LONG_RECORDING_SECONDS, SHORT_RECORDING_SECONDS } from './recording.js';
import { timeCases, type BenchRunOptions, type BenchRow, type BenchSuite } from './suite.js';

/**
 * Packaging throughput on one core: MB/s of FLV input (file bytes / median time) turned into CMAF
 * segments and HLS playlists by packageFlv, set against ffmpeg remuxing the same file to fMP4 HLS
 * on tmpfs and against ffmpeg's FLV demuxer alone.
 *
 *   tidecast, memory   the whole file in memory, fed as 1 MiB slices, the sink keeping each file's
 *                      pieces (views: no byte is copied): the figure the issue asks for
 *   tidecast, tmpfs    the same, each file written with one writev into a fresh tmpfs directory:
 *                      what ffmpeg's remux does, so the like-for-like comparison
 *   ffmpeg, wall       the process's wall time, start-up (about 65 ms here) included
 *   ffmpeg, rtime      ffmpeg's own `-benchmark` rtime: the remux loop, without process start-up
 *                      and the probing of the input
 */

export const SUITE_NAME = 'flv → cmaf packaging';
const CASE = {
  memory: 'tidecast packageFlv → memory, 1 MiB slices',
  tmpfs: 'tidecast packageFlv → tmpfs, writev per file',
  hlsWall: 'ffmpeg -c copy -f hls fmp4 → tmpfs, wall',
  hlsRtime: 'ffmpeg -c copy -f hls fmp4 → tmpfs, rtime',
  demuxWall: 'ffmpeg -c copy -f null (demux), wall',
  demuxRtime: 'ffmpeg -c copy -f null (demux), rtime',
} as const;

/** A large read from a file or a pipe: the input is handed over in slices of this size. */
const SLICE_BYTES = 1024 * 1024;

/** tmpfs, so the figures are remuxing and not a disk; os.tmpdir() where there is none. */
const SCRATCH_ROOT = '/dev/shm';

/**
 * Timed runs of the cases that write files or start a process, after untimed warm-ups: odd
 * counts, so the median is one run. ffmpeg's start-up varies by several ms with the machine's
 * load, hence more runs than 3; tidecast's warm-ups let the JIT settle on the write path.
 */
const RUNS = {
  quick: { ffmpeg: 3, tidecast: 5, tidecastWarmups: 3 },
  full: { ffmpeg: 11, tidecast: 21, tidecastWarmups: 10 },
};

/** Longest one ffmpeg run may take: 60 s of FLV remuxes in well under a second. */
const FFMPEG_TIMEOUT_MS = 60_000;

/** The file as a reader of large chunks delivers it: views of the bytes, never copies. */
async function* slices(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += SLICE_BYTES) yield bytes.subarray(at, at + SLICE_BYTES);
}

/** One packaging pass; the sink keeps every file, as a caller writing them out later would. */
export async function packageInMemory(flv: Uint8Array): Promise<PackagedFile[]> {
  const files: PackagedFile[] = [];
  await packageFlv(slices(flv), (file) => {
    files.push(file);
  });
  return files;
}

/**
 * One packaging pass writing each file as it completes into `dir` (which must not exist), with
 * one writev of its pieces. Synchronous calls: the work stays on this one core, where the async
 * ones would hand each open, write and close to libuv's thread pool and wait for the round trip.
 */
async function packageToDir(flv: Uint8Array, dir: string): Promise<void> {
  const made = new Set<string>();
  await packageFlv(slices(flv), (file) => {
    const target = path.join(dir, file.path);
    const parent = path.dirname(target);
    if (!made.has(parent)) {
      mkdirSync(parent, { recursive: true });
      made.add(parent);
    }
    const fd = openSync(target, 'w');
    try {
      const written = writevSync(fd, file.pieces as Uint8Array[]);
      if (written !== file.byteLength) throw new Error(`${target}: wrote ${written} of ${file.byteLength} bytes`);
    } finally {
      closeSync(fd);
    }
  });
}

/**
 * A fast wrong packager is no result: every coded frame's bytes must reach an mdat. The expected
 * total comes from the FLV tags themselves (body less its 5-byte AVC or 2-byte AAC header), the
 * actual one from walking the top-level boxes of each segment. (ffmpeg's FLVs open with one AAC
 * frame at 0 ms ahead of the first picture at 21 ms; the first audio segment starts early to keep it.)
 */
function checkOutput(flv: Uint8Array, files: readonly PackagedFile[]): void {
  const tags = readFlvFile(flv).tags;
  let expected = 0;
  for (const tag of tags) {
    if (tag.type === 9 && tag.body[1] === 1 && tag.body.length > 5) expected += tag.body.length - 5;
    if (tag.type === 8 && tag.body[1] === 1) expected += tag.body.length - 2;
  }
  let actual = 0;
  let segments = 0;
  for (const file of files) {
    if (!file.path.endsWith('.m4s')) continue;
    segments++;
    const bytes = Buffer.concat(file.pieces);
    if (bytes.length !== file.byteLength) throw new Error(`${file.path}: pieces hold ${bytes.length} bytes, byteLength says ${file.byteLength}`);
    for (let at = 0; at < bytes.length; at += bytes.readUInt32BE(at)) {
      if (bytes.toString('latin1', at + 4, at + 8) === 'mdat') actual += bytes.readUInt32BE(at) - 8;
    }
  }
  if (segments === 0 || actual !== expected) throw new Error(`packaging wrote ${actual} bytes of samples in ${segments} segments, the FLV holds ${expected}`);
}

/**
 * Runs `body` `warmups + runs` times, each into a fresh directory under `root` made before the
 * clock starts and removed after it stops; returns the timed runs' wall times and bodies' results.
 */
async function timeRuns<T>(root: string, warmups: number, runs: number, body: (dir: string) => Promise<T>): Promise<{ wallMs: number[]; results: T[] }> {
  const wallMs: number[] = [];
  const results: T[] = [];
  for (let run = 0; run < warmups + runs; run++) {
    const dir = path.join(root, `out-${run}`);
    const start = performance.now();
    const result = await body(dir);
    const elapsed = performance.now() - start;
    await rm(dir, { recursive: true, force: true });
    if (run < warmups) continue;
    wallMs.push(elapsed);
    results.push(result);
  }
  return { wallMs, results };
}

/** ffmpeg's `-benchmark` report: "bench: utime=…s stime=…s rtime=0.087s". */
function rtimeMs(stderr: string): number {
  const match = /rtime=([\d.]+)s/.exec(stderr);
  if (match === null) throw new Error(`ffmpeg -benchmark printed no rtime: ${stderr.slice(-200)}`);
  return Number(match[1]) * 1000;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function row(name: string, times: readonly number[], payloadBytes: number): BenchRow {
  const medianMs = median(times);
  return { suite: SUITE_NAME, name, medianMs, payloadBytes, payloadMBps: payloadBytes / 1e3 / medianMs, samples: times.length };
}

/**
 * The process-level cases, all on tmpfs with the input copied there first, so every side reads
 * from memory: tidecast writing files, ffmpeg's fMP4 HLS remux (a fresh directory per run, as
 * ffmpeg would otherwise overwrite the last run's files) and its demux to the null muxer, the
 * floor of any remux ffmpeg does. `-benchmark` needs log level info to print its report.
 */
async function scratchRows(flvPath: string, flv: Uint8Array, quick: boolean): Promise<BenchRow[]> {
  const ffmpeg = await locateFfmpeg();
  if (ffmpeg === undefined) throw new Error('the packaging benchmark needs ffmpeg (FFMPEG_PATH, PATH or @ffmpeg-installer/ffmpeg)');
  const runs = quick ? RUNS.quick : RUNS.full;
  const root = await mkdtemp(path.join(await scratchRoot(), 'tidecast-bench-'));
  try {
    const ours = await timeRuns(root, runs.tidecastWarmups, runs.tidecast, (dir) => packageToDir(flv, dir));
    const input = path.join(root, 'in.flv');
    await copyFile(flvPath, input);
    const common = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-benchmark', '-i', input, '-c', 'copy'];
    const runFfmpeg = async (args: string[]): Promise<number> => rtimeMs((await promisify(execFile)(ffmpeg.path, [...common, ...args], { timeout: FFMPEG_TIMEOUT_MS })).stderr);
    // One warm-up each: the binary and its libraries load from disk once.
    const hls = await timeRuns(root, 1, runs.ffmpeg, async (dir) => {
      await mkdir(dir);
      return runFfmpeg(['-f', 'hls', '-hls_segment_type', 'fmp4', '-hls_time', '2', '-hls_playlist_type', 'vod', path.join(dir, 'index.m3u8')]);
    });
    const demux = await timeRuns(root, 1, runs.ffmpeg, () => runFfmpeg(['-f', 'null', '-']));
    return [
      row(CASE.tmpfs, ours.wallMs, flv.length),
      row(CASE.hlsWall, hls.wallMs, flv.length),
      row(CASE.hlsRtime, hls.results, flv.length),
      row(CASE.demuxWall, demux.wallMs, flv.length),
      row(CASE.demuxRtime, demux.results, flv.length),
    ];
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function scratchRoot(): Promise<string> {
  try {
    if ((await stat(SCRATCH_ROOT)).isDirectory()) return SCRATCH_ROOT;
  } catch {
    // no /dev/shm (macOS, Windows): fall through
  }
  return tmpdir();
}

export const packagingSuite: BenchSuite = {
  name: SUITE_NAME,
  async run(options: BenchRunOptions): Promise<BenchRow[]> {
    const flvPath = await benchFlvPath(options.quick ? SHORT_RECORDING_SECONDS : LONG_RECORDING_SECONDS);
    const flv = new Uint8Array(await readFile(flvPath));
    checkOutput(flv, await packageInMemory(flv));
    const memory = await timeCases(this.name, [{ name: CASE.memory, payloadBytes: flv.length, fn: async () => void (await packageInMemory(flv)) }], options);
    return [...memory, ...(await scratchRows(flvPath, flv, options.quick))];
  },
};

/** tidecast's throughput as a multiple of each ffmpeg figure, for under the table. */
export function packagingRatios(rows: readonly BenchRow[]): string[] {
  const mbps = (name: string): number | undefined => rows.find((r) => r.suite === SUITE_NAME && r.name === name)?.payloadMBps;
  const times = (ours: number, theirs: string): string => {
    const value = mbps(theirs);
    return value === undefined ? '–' : `${(ours / value).toFixed(1)}×`;
  };
  const lines: string[] = [];
  for (const [label, name] of [['tidecast → memory', CASE.memory], ['tidecast → tmpfs ', CASE.tmpfs]] as const) {
    const ours = mbps(name);
    if (ours === undefined) continue;
    lines.push(
      `${label} vs ffmpeg fMP4 HLS remux: ${times(ours, CASE.hlsWall)} wall, ${times(ours, CASE.hlsRtime)} rtime;` +
        ` vs ffmpeg demux: ${times(ours, CASE.demuxWall)} wall, ${times(ours, CASE.demuxRtime)} rtime`,
    );
  }
  return lines;
}
