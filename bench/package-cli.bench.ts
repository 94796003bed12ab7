import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { locateFfmpeg } from '../src/transcode/index.js';
import { concatenatedFlvPath } from './recording.js';

/**
 * `tidecast package` against ffmpeg's fMP4 HLS remux as whole processes, start-up included: the
 * built command (`node dist/cli/main.js package in.flv <dir>`) and
 * `ffmpeg -i in.flv -c copy -f hls -hls_segment_type fmp4 -hls_time 2 -hls_playlist_type vod <dir>/index.m3u8`,
 * plus ffmpeg's demuxer alone (`-c copy -f null -`) as the floor of any ffmpeg remux.
 *
 * Input: the 60 s 1080p recording ten times over (10 minutes, 466 MB; --quick: the 20 s one three
 * times, 48 MB), copied to tmpfs (/dev/shm) with the output folders, so no disk is timed. One
 * untimed warm-up run of each, then the three commands in turn, `runs` times, in rotating order;
 * each output folder is fresh and removed after its run, outside the timing.
 *
 * Wall time is taken here around the spawn; user and system time are the command's own, from the
 * `times` of the `sh` that runs it (its children's line, POSIX times(2): 10 ms resolution).
 */

const RUNS = { quick: 3, full: 5 };
const REPO = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(REPO, 'dist', 'cli', 'main.js');

interface Timing {
  wallS: number;
  userS: number;
  sysS: number;
}

interface Command {
  readonly name: string;
  /** argv for an input file and a fresh output folder (which exists). */
  argv(input: string, out: string): string[];
}

export async function packageCliBench(options: { quick: boolean }): Promise<string> {
  const ffmpeg = await locateFfmpeg();
  if (ffmpeg === undefined) throw new Error('the package bench needs ffmpeg');
  await ensureBuilt();
  const flv = options.quick ? await concatenatedFlvPath(20, 3) : await concatenatedFlvPath(60, 10);
  const commands: Command[] = [
    { name: 'tidecast package', argv: (input, out) => [process.execPath, CLI, 'package', input, out] },
    { name: 'ffmpeg fMP4 HLS remux', argv: (input, out) => [ffmpeg.path, '-v', 'error', '-nostdin', '-i', input, '-c', 'copy', '-f', 'hls', '-hls_segment_type', 'fmp4', '-hls_time', '2', '-hls_playlist_type', 'vod', path.join(out, 'index.m3u8')] },
    { name: 'ffmpeg demux only (-f null)', argv: (input) => [ffmpeg.path, '-v', 'error', '-nostdin', '-i', input, '-c', 'copy', '-f', 'null', '-'] },
  ];
  const root = await mkdtemp(path.join(await scratchRoot(), 'tidecast-bench-package-'));
  try {
    const input = path.join(root, 'in.flv');
    await copyFile(flv, input);
    const { size } = await stat(input);
    const timings = new Map<string, Timing[]>(commands.map((c) => [c.name, []]));
    const runs = options.quick ? RUNS.quick : RUNS.full;
    let n = 0;
    for (let run = -1; run < runs; run++) {
      const order = commands.map((_, i) => commands[(i + Math.max(run, 0)) % commands.length]!);
      for (const command of order) {
        const out = path.join(root, `out-${n++}`);
        await mkdir(out);
        const timing = await timeProcess(command.argv(input, out));
        if (command.name === 'tidecast package' && (await readdir(out)).length === 0) throw new Error('tidecast package wrote nothing');
        await rm(out, { recursive: true, force: true });
        if (run >= 0) timings.get(command.name)!.push(timing);
      }
    }
    return render(size, runs, commands.map((c) => ({ name: c.name, runs: timings.get(c.name)! })));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Builds dist/ (npm run build) when it is missing or older than a file under src/. */
async function ensureBuilt(): Promise<void> {
  const built = await stat(CLI).then((s) => s.mtimeMs, () => 0);
  if (built > 0 && (await newestSource(path.join(REPO, 'src'))) <= built) return;
  process.stderr.write('bench: building dist/ (npm run build) for the package bench…\n');
  await promisify(execFile)('npm', ['run', 'build'], { cwd: REPO, timeout: 300_000 });
}

async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestSource(p) : (await stat(p)).mtimeMs);
  }
  return newest;
}

/** Runs argv to completion under `sh`, whose `times` then prints the children's user and system time. */
function timeProcess(argv: string[]): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn('sh', ['-c', '"$@" >/dev/null; s=$?; times; exit $s', 'sh', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallS = (performance.now() - start) / 1000;
      // times: the shell's own line, then its children's: "0m1.230000s 0m0.450000s".
      const children = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s\s*$/.exec(stdout.trim());
      if (code !== 0 || children === null) return reject(new Error(`${argv.join(' ')} failed (${code}): ${stderr.slice(-500)}`));
      resolve({ wallS, userS: Number(children[1]) * 60 + Number(children[2]), sysS: Number(children[3]) * 60 + Number(children[4]) });
    });
  });
}

async function scratchRoot(): Promise<string> {
  return (await stat('/dev/shm').then((s) => s.isDirectory(), () => false)) ? '/dev/shm' : tmpdir();
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function render(bytes: number, runs: number, rows: { name: string; runs: Timing[] }[]): string {
  const m = (r: { runs: Timing[] }, pick: (t: Timing) => number): number => median(r.runs.map(pick));
  const ours = m(rows[0]!, (t) => t.wallS);
  const remux = m(rows[1]!, (t) => t.wallS);
  return [
    `${(bytes / 1e6).toFixed(0)} MB FLV into tmpfs, whole processes, median of ${runs} alternating runs:`,
    '| command | wall s | user s | sys s | wall ÷ ffmpeg remux wall |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${m(r, (t) => t.wallS).toFixed(2)} | ${m(r, (t) => t.userS).toFixed(2)} | ${m(r, (t) => t.sysS).toFixed(2)} | ${(m(r, (t) => t.wallS) / remux).toFixed(2)} |`),
    `tidecast package ÷ ffmpeg fMP4 HLS remux, wall: ${(ours / remux).toFixed(2)}× (target ≤ 0.5×)`,
  ].join('\n');
}
