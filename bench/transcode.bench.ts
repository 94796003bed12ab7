import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { HubItem, LiveStream, Reader } from '../src/hub/index.js';
import { createMediaServer, tuneHeapGrowing, type MediaServer } from '../src/server/index.js';
import { checkLadderSpec, FfmpegProcess, ffmpegArgs, locateFfmpeg, parseFfmpegVersion, planLadder, type FfmpegVersion, type LadderSession, type LadderStats } from '../src/transcode/index.js';
import { killPid, procUsage } from './proc-usage.js';

/**
 * The transcode tier's costs (issue 10, "Done when" 6): a 720p30 publish through the issue's
 * 3-rung ladder, the server in this process, ffmpeg publishing from a file at real time.
 *
 *   npx tsx bench/transcode.bench.ts            3 tier and 3 bare runs interleaved (5 s warm-up, 20 s window
 *                                               each), one of both at once, one without a ladder, then 5
 *                                               respawns: about 4 min, plus the waits for a quiet machine
 *   npx tsx bench/transcode.bench.ts --quick    1 run each, 6 s windows, 2 respawns, no waiting for a quiet machine
 *
 * - Server CPU excluding ffmpeg: this process's `process.cpuUsage()` over a steady window (it only
 *   sleeps meanwhile: ingest, hub, feed, rung pipes, packaging of every rendition are all that
 *   runs) against the ladder ffmpeg's utime + stime from /proc/<pid>/stat. Target ≤ 3 %.
 * - ffmpeg in the tier against the same encodes run bare: the argv ffmpegArgs gives for the same
 *   plan, `-f flv -i pipe:0` replaced by `-re -f flv -i <file>`, spawned by the same FfmpegProcess
 *   (same stdio, each rung's FLV on its pipe, drained here; `-progress` on its pipe). Target ≤ 1.05.
 * - Latency the tier adds: the session's latencyMs / latencyP95Ms (source frame in → rung frame
 *   out, last 300 rung frames) at the end of each window; and, in the respawn run before the first
 *   kill, per encoded rung, each frame's arrival on the output stream minus its source frame's
 *   arrival on the source stream, both seen by hub readers of this bench.
 * - Respawn: the ladder ffmpeg SIGKILLed from outside, `kills` times, `killIntervalMs` apart;
 *   `respawnToFirstFrameMs` after each, and the RestartBackoff delay that crash was given.
 * - Once more, the tier's ffmpeg and the bare one at the same time (pairedRun).
 * - For scale, the same publish to a server without a ladder: what the stream costs it anyway.
 *
 * Before each measuring run the bench waits until the 1-minute load average is below 0.8 (other
 * jobs share the two cores): TIDECAST_BENCH_MAX_LOAD and TIDECAST_BENCH_LOAD_WAIT_S (default 1200)
 * change that. TIDECAST_BENCH_CPU_PROF=<dir>: a V8 CPU profile of this process over each tier
 * window (the profiler's own cost lands in that run's figure), its top self times printed.
 *
 * One file over 400 lines: main.ts lists one file per bench, and the hub probe and the profile
 * summary serve this bench alone.
 */

/** The issue's ladder: the source as the copy rung, 480p and 240p encoded small. */
const LADDER = checkLadderSpec({
  rungs: [
    { codec: 'copy', name: '720p' },
    { codec: 'h264', height: 480, bitrateKbps: 1000, preset: 'veryfast' },
    { codec: 'h264', height: 240, bitrateKbps: 300, preset: 'veryfast' },
  ],
});
const SOURCE = { video: { codec: 'avc', width: 1280, height: 720, frameRate: 30 }, audio: { codec: 'aac' } } as const;
const SOURCE_SECONDS = 30;
const KEY = 'bench';

interface Budget {
  runs: number;
  warmupMs: number;
  windowMs: number;
  kills: number;
  killIntervalMs: number;
  /** The respawn run's steady phase before the first kill, when the outside latency is collected. */
  latencyWindowMs: number;
  loadWaitMs: number;
}

const FULL: Budget = { runs: 3, warmupMs: 5000, windowMs: 20_000, kills: 5, killIntervalMs: 4000, latencyWindowMs: 10_000, loadWaitMs: 1000 * Number(process.env['TIDECAST_BENCH_LOAD_WAIT_S'] ?? 1200) };
const QUICK: Budget = { runs: 1, warmupMs: 3000, windowMs: 6000, kills: 2, killIntervalMs: 4000, latencyWindowMs: 3000, loadWaitMs: 0 };
const MAX_LOAD = Number(process.env['TIDECAST_BENCH_MAX_LOAD'] ?? 0.8);
const LOAD_POLL_MS = 10_000;
/** A ladder's first rung frame comes about 0.2 s after spawn; a loaded machine gets 15 s. */
const RUNNING_TIMEOUT_MS = 15_000;
/** After this long past its kill, a respawn that has shown no frame counts as failed. */
const RESPAWN_TIMEOUT_MS = 15_000;

/** sysconf(_SC_CLK_TCK), as bench/proc-usage.ts reads it: the unit of /proc's utime and stime. */
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

// ---------------------------------------------------------------------------------------------
// Inputs and the machine

/** 720p30 H.264 with 2 B-frames and a fixed 2 s GOP (no scene cuts) at 2.5 Mb/s, AAC: made once, cached. */
async function sourceFlv(ffmpeg: string): Promise<string> {
  const dir = path.join(tmpdir(), 'tidecast-bench');
  const file = path.join(dir, `testsrc2-720p30-2500k-bf2-${SOURCE_SECONDS}s.flv`);
  if (await stat(file).then((s) => s.isFile(), () => false)) return file;
  await mkdir(dir, { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  await promisify(execFile)(ffmpeg, [
    '-hide_banner', '-nostdin', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', String(SOURCE_SECONDS),
    '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', '60', '-keyint_min', '60', '-sc_threshold', '0',
    '-b:v', '2500k', '-maxrate', '2500k', '-bufsize', '5000k', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', '-f', 'flv', partial,
  ], { timeout: 300_000 }); // prettier-ignore
  await rename(partial, file);
  return file;
}

interface Quiet {
  load1: number;
  waitedS: number;
  quiet: boolean;
}

/** Waits until the 1-minute load average is below MAX_LOAD, polling every 10 s, at most `maxWaitMs`. */
async function waitForQuiet(maxWaitMs: number): Promise<Quiet> {
  const start = performance.now();
  let said = -Infinity;
  for (;;) {
    const load1 = loadavg()[0]!;
    const waited = performance.now() - start;
    if (load1 < MAX_LOAD) return { load1, waitedS: waited / 1000, quiet: true };
    if (waited >= maxWaitMs) return { load1, waitedS: waited / 1000, quiet: false };
    if (waited - said >= 60_000) {
      process.stderr.write(`bench: load average ${load1.toFixed(2)} ≥ ${MAX_LOAD}, waiting (${(waited / 1000).toFixed(0)} s so far)…\n`);
      said = waited;
    }
    await sleep(Math.min(LOAD_POLL_MS, maxWaitMs - waited));
  }
}

// ---------------------------------------------------------------------------------------------
// The tier: server here, a publisher, the ladder's ffmpeg

interface Tier {
  server: MediaServer;
  publisher: ChildProcess;
  /** Undefined when the server runs without a ladder (the baseline). */
  ladder: { source: LiveStream; session: LadderSession } | undefined;
  warnings: string[];
}

/** A server in this process, and ffmpeg publishing `file` to it; resolves once the ladder runs (or, without one, the publish is accepted). */
async function startTier(ffmpeg: string, file: string, options: { ladder: boolean; loop: boolean }): Promise<Tier> {
  const server = createMediaServer({
    rtmp: { port: 0, host: '127.0.0.1' },
    http: { port: 0, host: '127.0.0.1' },
    ...(options.ladder ? { transcode: { ladder: LADDER, ffmpegPath: ffmpeg } } : {}),
  });
  const warnings: string[] = [];
  let published = false;
  server.on('transcodeWarning', (_, message) => warnings.push(message));
  server.on('publish', () => (published = true));
  const { rtmp } = await server.listen();
  // Copy: the publisher's own CPU is small and not counted.
  const publisher = spawn(ffmpeg, ['-hide_banner', '-nostdin', '-v', 'error', '-re', ...(options.loop ? ['-stream_loop', '-1'] : []), '-i', file, '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${rtmp.port}/live/${KEY}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const deadline = performance.now() + RUNNING_TIMEOUT_MS;
    for (;;) {
      const [source, session] = [...server.ladders.sessions].find(([s]) => s.streamKey === KEY) ?? [];
      if (options.ladder && source !== undefined && session !== undefined && session.state === 'running') return { server, publisher, ladder: { source, session }, warnings };
      if (!options.ladder && published) return { server, publisher, ladder: undefined, warnings };
      if (performance.now() > deadline) throw new Error(`the ${options.ladder ? 'ladder' : 'publish'} did not start within ${RUNNING_TIMEOUT_MS} ms (ladders off: ${server.ladders.off ?? 'no'}; warnings: ${warnings.join(' | ')})`);
      await sleep(50);
    }
  } catch (error) {
    await stopTier({ server, publisher });
    throw error;
  }
}

async function stopTier(tier: Pick<Tier, 'server' | 'publisher'>): Promise<void> {
  killPid(tier.publisher.pid);
  await tier.server.close();
}

/** This process's CPU per thread name (/proc/self/task/<tid>/stat: comm, utime + stime), in ms. */
function threadCpuMs(): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const text = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
      const name = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      // Node names none of its threads: "node" besides the main one is V8's helpers (GC) or libuv's pool.
      // utime and stime are fields 14 and 15.
      const key = tid === String(process.pid) ? 'main' : name === 'node' ? 'other' : name;
      byName.set(key, (byName.get(key) ?? 0) + ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return byName;
}

function threadDelta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([name, ms]) => [name, ms - (before.get(name) ?? 0)] as const).filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]));
}

/** ffmpeg's argv as the kernel has it (/proc/<pid>/cmdline), without the executable. */
function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').slice(1, -1);
}

interface TierRow {
  quiet: Quiet;
  loadAfter: number;
  seconds: number;
  nodeCpuMs: number;
  ffmpegCpuMs: number;
  publisherCpuMs: number;
  /** This process's CPU by thread over the window: 'main' (the event loop), V8's and libuv's helpers. */
  threads: Map<string, number>;
  stats: LadderStats;
  argvMatches: boolean;
  profileTop: string[] | undefined;
}

async function tierRun(ffmpeg: string, file: string, budget: Budget, expectedArgs: readonly string[]): Promise<TierRow> {
  const quiet = await waitForQuiet(budget.loadWaitMs);
  const tier = await startTier(ffmpeg, file, { ladder: true, loop: false });
  const session = tier.ladder!.session;
  try {
    await sleep(budget.warmupMs);
    const pid = session.stats().pid!;
    const argvMatches = cmdline(pid).join('\0') === expectedArgs.join('\0');
    const restarts = session.stats().restarts;
    const profiler = await startProfile();
    const threads0 = threadCpuMs();
    const node0 = process.cpuUsage();
    const [ff0, pub0] = [procUsage([pid]), procUsage([tier.publisher.pid!])];
    await sleep(budget.windowMs);
    const node = process.cpuUsage(node0);
    const [ff1, pub1] = [procUsage([pid]), procUsage([tier.publisher.pid!])];
    const threads = threadDelta(threads0, threadCpuMs());
    const profileTop = await profiler?.stop();
    const stats = session.stats();
    if (stats.pid !== pid || stats.restarts !== restarts) throw new Error(`the ladder's ffmpeg restarted during the window: ${stats.lastError?.message}`);
    return {
      quiet,
      loadAfter: loadavg()[0]!,
      seconds: (ff1.atMs - ff0.atMs) / 1000,
      nodeCpuMs: (node.user + node.system) / 1000,
      ffmpegCpuMs: ff1.cpuMs - ff0.cpuMs,
      publisherCpuMs: pub1.cpuMs - pub0.cpuMs,
      threads,
      stats,
      argvMatches,
      profileTop,
    };
  } finally {
    await stopTier(tier);
  }
}

interface BaselineRow {
  quiet: Quiet;
  loadAfter: number;
  seconds: number;
  nodeCpuMs: number;
  threads: Map<string, number>;
}

/** The same publish to a server without a ladder: what the stream costs the server anyway (its video and audio packaged). */
async function baselineRun(ffmpeg: string, file: string, budget: Budget): Promise<BaselineRow> {
  const quiet = await waitForQuiet(budget.loadWaitMs);
  const tier = await startTier(ffmpeg, file, { ladder: false, loop: false });
  try {
    await sleep(budget.warmupMs);
    const threads0 = threadCpuMs();
    const node0 = process.cpuUsage();
    const startMs = performance.now();
    await sleep(budget.windowMs);
    const node = process.cpuUsage(node0);
    const seconds = (performance.now() - startMs) / 1000;
    return { quiet, loadAfter: loadavg()[0]!, seconds, nodeCpuMs: (node.user + node.system) / 1000, threads: threadDelta(threads0, threadCpuMs()) };
  } finally {
    await stopTier(tier);
  }
}

// ---------------------------------------------------------------------------------------------
// The same encodes, bare

/** The tier's argv reading `file` at real time instead of FLV on stdin; everything else as is. */
function bareArgs(args: readonly string[], file: string): string[] {
  const at = args.findIndex((a, i) => a === '-f' && args[i + 1] === 'flv' && args[i + 2] === '-i' && args[i + 3] === 'pipe:0');
  if (at < 0) throw new Error(`no "-f flv -i pipe:0" in the ladder's argv: ${args.join(' ')}`);
  return [...args.slice(0, at), '-re', '-f', 'flv', '-i', file, ...args.slice(at + 4)];
}

interface BareRow {
  quiet: Quiet;
  loadAfter: number;
  seconds: number;
  ffmpegCpuMs: number;
}

async function bareRun(ffmpeg: string, file: string, budget: Budget, command: ReturnType<typeof ffmpegArgs>): Promise<BareRow> {
  const quiet = await waitForQuiet(budget.loadWaitMs);
  // As the tier spawns it: its own process group, rung FLVs on pipes 3 and 4 (read and dropped by
  // FfmpegProcess here), -progress on the next pipe, stdin a pipe nobody writes.
  const bare = new FfmpegProcess({ path: ffmpeg, args: bareArgs(command.args, file), outputFds: command.outputs.map((o) => o.fd), ...(command.progressFd === undefined ? {} : { progressFd: command.progressFd }) });
  try {
    await sleep(budget.warmupMs);
    const pid = bare.pid!;
    const start = procUsage([pid]);
    await sleep(budget.windowMs);
    const end = procUsage([pid]);
    if (end.cpuMs === 0) throw new Error(`bare ffmpeg ended early: ${bare.stderrTail().join(' | ')}`);
    return { quiet, loadAfter: loadavg()[0]!, seconds: (end.atMs - start.atMs) / 1000, ffmpegCpuMs: end.cpuMs - start.cpuMs };
  } finally {
    bare.kill();
    await bare.exited;
  }
}

interface PairedRow {
  quiet: Quiet;
  loadAfter: number;
  tierCpuMs: number;
  bareCpuMs: number;
  /** tier ÷ bare in each slice of the window. */
  sliceRatios: number[];
}

/** Slices of the paired window: each gives a ratio, so the spread within one run shows. */
const PAIRED_SLICES = 4;

/**
 * The tier's ffmpeg and the bare one at the same time, over the same window: whatever the machine
 * does to one (another VM, another job) it does to the other, which runs one after the other do not
 * share. They also share the two cores with each other, both alike.
 */
async function pairedRun(ffmpeg: string, file: string, budget: Budget, command: ReturnType<typeof ffmpegArgs>): Promise<PairedRow> {
  const quiet = await waitForQuiet(budget.loadWaitMs);
  const tier = await startTier(ffmpeg, file, { ladder: true, loop: false });
  const bare = new FfmpegProcess({ path: ffmpeg, args: bareArgs(command.args, file), outputFds: command.outputs.map((o) => o.fd), ...(command.progressFd === undefined ? {} : { progressFd: command.progressFd }) });
  try {
    await sleep(budget.warmupMs);
    const pids = [tier.ladder!.session.stats().pid!, bare.pid!];
    const start = pids.map((pid) => procUsage([pid]).cpuMs);
    let last = start;
    const sliceRatios: number[] = [];
    for (let i = 0; i < PAIRED_SLICES; i++) {
      await sleep(budget.windowMs / PAIRED_SLICES);
      const now = pids.map((pid) => procUsage([pid]).cpuMs);
      sliceRatios.push((now[0]! - last[0]!) / (now[1]! - last[1]!));
      last = now;
    }
    if (tier.ladder!.session.stats().pid !== pids[0]) throw new Error("the ladder's ffmpeg restarted during the paired window");
    return { quiet, loadAfter: loadavg()[0]!, tierCpuMs: last[0]! - start[0]!, bareCpuMs: last[1]! - start[1]!, sliceRatios };
  } finally {
    bare.kill();
    await bare.exited;
    await stopTier(tier);
  }
}

// ---------------------------------------------------------------------------------------------
// Latency seen from outside, and the respawns

/** A rung frame seen on the output: its arrival less its source frame's, and that frame's composition offset. */
interface Arrival {
  latencyMs: number;
  /** The source frame's pts − dts in ms: with 2 B-frames, 0 for B-frames, larger for the I/P frames they wait for. */
  offsetMs: number;
}

/** Per encoded rung (by name), every frame's Arrival, as hub readers of this bench see them. */
class ArrivalProbe {
  readonly perRung = new Map<string, Arrival[]>();
  readonly #sourceAt = new Map<number, { atMs: number; offsetMs: number }>();
  readonly #readers: Reader[];

  constructor(source: LiveStream, session: LadderSession) {
    const encoded = new Set(session.stats().rungs.filter((r) => r.kind === 'encode').map((r) => r.name));
    const rungOf = new Map(session.output.tracks.map((t) => [t.id, session.renditionName(t)] as const).filter((e): e is [number, string] => e[1] !== undefined && encoded.has(e[1])));
    const video = source.tracks.find((t) => t.kind === 'video');
    const onSource = (item: HubItem): void => {
      if (item.type !== 'sample' || video === undefined || item.sample.trackId !== video.id) return;
      this.#sourceAt.set(item.sample.pts, { atMs: performance.now(), offsetMs: ((item.sample.pts - item.sample.dts) * 1000) / video.timescale });
    };
    const onOutput = (item: HubItem): void => {
      const rung = item.type === 'sample' ? rungOf.get(item.sample.trackId) : undefined;
      const from = item.type === 'sample' ? this.#sourceAt.get(item.sample.pts) : undefined;
      if (rung === undefined || from === undefined) return;
      this.perRung.set(rung, [...(this.perRung.get(rung) ?? []), { latencyMs: performance.now() - from.atMs, offsetMs: Math.round(from.offsetMs) }]);
    };
    // Read in the publisher's push itself, as the session reads the source: the time taken is the arrival.
    this.#readers = [source.subscribe({ startWith: 'live' }), session.output.subscribe({ startWith: 'live' })];
    this.#readers.forEach((reader, i) =>
      reader.onReadable(() => {
        for (const item of reader.drain()) (i === 0 ? onSource : onOutput)(item);
      }),
    );
  }

  close(): void {
    for (const reader of this.#readers) reader.close();
  }
}

interface Respawn {
  /** The session's figure: ffmpeg's exit → the respawned process's first carried rung frame. */
  respawnToFirstFrameMs: number;
  /** The RestartBackoff delay the crash got (0 for the first of a streak). */
  backoffMs: number;
}

interface RespawnResult {
  quiet: Quiet;
  respawns: Respawn[];
  outside: Map<string, Arrival[]>;
  sessionLatency: { medianMs: number | undefined; p95Ms: number | undefined };
}

async function respawnRun(ffmpeg: string, file: string, budget: Budget): Promise<RespawnResult> {
  const quiet = await waitForQuiet(budget.loadWaitMs);
  const tier = await startTier(ffmpeg, file, { ladder: true, loop: true });
  const { source, session } = tier.ladder!;
  try {
    await sleep(budget.warmupMs);
    const probe = new ArrivalProbe(source, session);
    await sleep(budget.latencyWindowMs);
    probe.close();
    const steady = session.stats();
    const outside = probe.perRung;
    const delays: number[] = [];
    session.on('warning', (message, details) => {
      if (message.startsWith('ffmpeg crashed')) delays.push(Number(details['delayMs']));
    });
    const respawns: Respawn[] = [];
    for (let k = 0; k < budget.kills; k++) {
      const before = session.stats();
      const killedAt = performance.now();
      killPid(before.pid);
      await sleep(budget.killIntervalMs);
      // Read once the respawned process has carried a frame: with the backoff's longer delays that can be after the interval.
      for (;;) {
        const now = session.stats();
        if (now.restarts > before.restarts && now.pid !== undefined && now.pid !== before.pid && now.respawnToFirstFrameMs !== before.respawnToFirstFrameMs) {
          respawns.push({ respawnToFirstFrameMs: now.respawnToFirstFrameMs!, backoffMs: delays[k] ?? NaN });
          break;
        }
        if (performance.now() - killedAt > RESPAWN_TIMEOUT_MS) throw new Error(`no rung frame ${RESPAWN_TIMEOUT_MS} ms after kill ${k + 1}: ${JSON.stringify(now)}`);
        await sleep(20);
      }
    }
    return { quiet, respawns, outside, sessionLatency: { medianMs: steady.latencyMs, p95Ms: steady.latencyP95Ms } };
  } finally {
    await stopTier(tier);
  }
}

// ---------------------------------------------------------------------------------------------
// Profiling (TIDECAST_BENCH_CPU_PROF)

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

/** Where a profile frame belongs: its src/ folder, a package, Node's own JavaScript, or a native entry. */
function areaOf(frame: ProfileNode['callFrame']): string {
  const src = /\/src\/([^/]+)\//.exec(frame.url);
  if (src !== null) return `src/${src[1]}`;
  if (frame.url.includes('node_modules/')) return frame.url.split('node_modules/')[1]!.split('/')[0]!;
  if (frame.url.startsWith('node:')) return "Node's JavaScript (net, streams, timers)";
  return frame.url === '' ? frame.functionName : path.basename(frame.url);
}

/**
 * Self time of the main thread by area and by function, as shares of its busy time: the samples
 * taken while the loop waited ('(idle)') and those inside the inspector calls that start and stop
 * the profiler are left out. tsx does not map line numbers back, so functions go by file name.
 */
function summarize(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map(profile.nodes.flatMap((n) => (n.children ?? []).map((c) => [c, n.id] as const)));
  const inInspector = (id: number | undefined): boolean => id !== undefined && (byId.get(id)!.callFrame.url.startsWith('node:inspector') || inInspector(parent.get(id)));
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, us: number): void => void map.set(key, (map.get(key) ?? 0) + us);
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)' || inInspector(id)) return;
    add(areas, areaOf(frame), profile.timeDeltas[i] ?? 0);
    add(functions, `${frame.functionName || '(anonymous)'} ${frame.url === '' ? '' : path.basename(frame.url)}`.trim(), profile.timeDeltas[i] ?? 0);
  });
  const total = [...areas.values()].reduce((x, y) => x + y, 0);
  const top = (map: Map<string, number>, n: number): string[] => [...map].sort((x, y) => y[1] - x[1]).slice(0, n).map(([name, us]) => `${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(5)} ms  ${name}`);
  return [`${(total / 1000).toFixed(0)} ms busy on the main thread; by area:`, ...top(areas, 14), 'by function:', ...top(functions, 15)];
}

/** TIDECAST_BENCH_CPU_PROF=<dir>: V8's sampler (100 µs) on this process's main thread until stop(). */
async function startProfile(): Promise<{ stop(): Promise<string[]> } | undefined> {
  const dir = process.env['TIDECAST_BENCH_CPU_PROF'];
  if (dir === undefined) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] } };
      session.disconnect();
      await mkdir(dir, { recursive: true });
      writeFileSync(path.join(dir, `transcode-${Date.now()}.cpuprofile`), JSON.stringify(profile));
      return summarize(profile);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The report

async function ffmpegVersion(ffmpeg: string): Promise<{ text: string; version: FfmpegVersion }> {
  const out = (await promisify(execFile)(ffmpeg, ['-hide_banner', '-version'])).stdout;
  const version = parseFfmpegVersion(out);
  if (version === undefined) throw new Error(`cannot read ffmpeg's version: ${out.split('\n')[0]}`);
  return { text: out.split('\n')[0]!, version };
}

const f = (v: number | undefined, digits = 1): string => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits));
const loadText = (q: Quiet, after: number): string => `${f(q.load1, 2)}${q.quiet ? '' : ' (never quiet)'} → ${f(after, 2)}${q.waitedS >= 1 ? `, waited ${q.waitedS.toFixed(0)} s` : ''}`;

function render(tiers: TierRow[], bares: BareRow[], paired: PairedRow, baseline: BaselineRow, respawn: RespawnResult, args: readonly string[]): string {
  const lines: string[] = [];
  lines.push('', 'tier runs (CPU over the window; % of one core):', '| run | load 1 min (start → end) | s | server CPU ms (%) | of which threads, ms | ladder ffmpeg CPU ms (%) | server ÷ ffmpeg | publisher CPU % | latency median / p95 ms | rung fps 720p / 480p / 240p | skips / mismatches | argv as planned |', '|---:|---|---:|---:|---|---:|---:|---:|---|---|---|---|');
  tiers.forEach((t, i) => {
    const pct = (ms: number): string => f((100 * ms) / 1000 / t.seconds, 1);
    lines.push(`| ${i + 1} | ${loadText(t.quiet, t.loadAfter)} | ${f(t.seconds)} | ${t.nodeCpuMs.toFixed(0)} (${pct(t.nodeCpuMs)}) | ${[...t.threads].map(([name, ms]) => `${name} ${ms.toFixed(0)}`).join(', ')} | ${t.ffmpegCpuMs.toFixed(0)} (${pct(t.ffmpegCpuMs)}) | ${f((100 * t.nodeCpuMs) / t.ffmpegCpuMs, 2)} % | ${pct(t.publisherCpuMs)} | ${t.stats.latencyMs} / ${t.stats.latencyP95Ms} | ${t.stats.rungs.map((r) => r.fps).join(' / ')} | ${t.stats.backlogSkips} / ${t.stats.ptsMismatches} | ${t.argvMatches ? 'yes' : 'NO'} |`);
  });
  lines.push('', 'bare runs (the same argv, -re -f flv -i <file> instead of -f flv -i pipe:0):', '| run | load 1 min (start → end) | s | ffmpeg CPU ms (%) |', '|---:|---|---:|---:|');
  bares.forEach((b, i) => lines.push(`| ${i + 1} | ${loadText(b.quiet, b.loadAfter)} | ${f(b.seconds)} | ${b.ffmpegCpuMs.toFixed(0)} (${f((100 * b.ffmpegCpuMs) / 1000 / b.seconds)}) |`));
  lines.push('', `server without a ladder (the same publish; its video and audio packaged): load ${loadText(baseline.quiet, baseline.loadAfter)}, ${f(baseline.seconds)} s, CPU ${baseline.nodeCpuMs.toFixed(0)} ms (${f((100 * baseline.nodeCpuMs) / 1000 / baseline.seconds)} % of a core; ${[...baseline.threads].map(([name, ms]) => `${name} ${ms.toFixed(0)}`).join(', ')})`);
  const ratio = tiers.map((t) => t.nodeCpuMs / t.ffmpegCpuMs);
  const tierPerS = tiers.map((t) => t.ffmpegCpuMs / t.seconds);
  const barePerS = bares.map((b) => b.ffmpegCpuMs / b.seconds);
  const r = respawn.respawns;
  lines.push(
    '',
    '| figure | median | runs | target |',
    '|---|---:|---|---|',
    `| server CPU ÷ ladder ffmpeg CPU | ${f(100 * median(ratio), 2)} % | ${ratio.map((x) => f(100 * x, 2)).join(', ')} % | ≤ 3 % |`,
    `| ffmpeg CPU in the tier ÷ bare (medians of CPU per second) | ${f(median(tierPerS) / median(barePerS), 3)} | tier ${tierPerS.map((x) => f(x / 10)).join(', ')} %; bare ${barePerS.map((x) => f(x / 10)).join(', ')} % of a core | ≤ 1.05 |`,
    `| the same, run by run (tier n ÷ bare n, median) | ${f(median(tierPerS.map((t, i) => t / barePerS[i]!)), 3)} | ${tierPerS.map((t, i) => f(t / barePerS[i]!, 3)).join(', ')} | ≤ 1.05 |`,
    `| the same, both at once over one window (tier ÷ bare) | ${f(paired.tierCpuMs / paired.bareCpuMs, 3)} | ${(paired.tierCpuMs / 1000).toFixed(2)} ÷ ${(paired.bareCpuMs / 1000).toFixed(2)} s; ${PAIRED_SLICES} slices ${paired.sliceRatios.map((x) => f(x, 3)).join(', ')}; load ${loadText(paired.quiet, paired.loadAfter)} | ≤ 1.05 |`,
    `| latency (session, last 300 rung frames) median | ${f(median(tiers.map((t) => t.stats.latencyMs ?? NaN)), 0)} ms | ${tiers.map((t) => t.stats.latencyMs).join(', ')} ms | – |`,
    `| latency (session) p95 | ${f(median(tiers.map((t) => t.stats.latencyP95Ms ?? NaN)), 0)} ms | ${tiers.map((t) => t.stats.latencyP95Ms).join(', ')} ms | – |`,
    ...[...respawn.outside].map(([rung, arrivals]) => {
      const ms = arrivals.map((a) => a.latencyMs);
      const offsets = [...new Set(arrivals.map((a) => a.offsetMs))].sort((a, b) => a - b);
      const byOffset = offsets.map((o) => `pts−dts ${o} ms: ${f(median(arrivals.filter((a) => a.offsetMs === o).map((a) => a.latencyMs)))} (${arrivals.filter((a) => a.offsetMs === o).length})`);
      return `| latency seen by hub readers, ${rung}: median / p95 (${ms.length} frames, respawn run) | ${f(median(ms))} / ${f(percentile(ms, 0.95))} ms | session's own then: ${respawn.sessionLatency.medianMs} / ${respawn.sessionLatency.p95Ms} ms; median by source frame ${byOffset.join(', ')} | – |`;
    }),
    `| respawnToFirstFrameMs after SIGKILL (median / max) | ${f(median(r.map((x) => x.respawnToFirstFrameMs)), 0)} / ${f(Math.max(...r.map((x) => x.respawnToFirstFrameMs)), 0)} ms | ${r.map((x) => x.respawnToFirstFrameMs).join(', ')} ms | ≤ 1000 ms |`,
    `| of which the backoff's delay | | ${r.map((x) => x.backoffMs).join(', ')} ms | |`,
    `| respawn less that delay (median / max) | ${f(median(r.map((x) => x.respawnToFirstFrameMs - x.backoffMs)), 0)} / ${f(Math.max(...r.map((x) => x.respawnToFirstFrameMs - x.backoffMs)), 0)} ms | respawn run load ${f(respawn.quiet.load1, 2)}${respawn.quiet.quiet ? '' : ' (never quiet)'} | |`,
  );
  const top = tiers.find((t) => t.profileTop !== undefined)?.profileTop;
  if (top !== undefined) lines.push('', 'server CPU profile of the first tier window (self time):', ...top);
  lines.push('', `ladder argv: ffmpeg ${args.join(' ')}`);
  const warned = tiers.flatMap((t) => t.stats.lastError === undefined ? [] : [t.stats.lastError.message]);
  if (warned.length > 0) lines.push(`ladder errors seen: ${warned.join(' | ')}`);
  return lines.join('\n');
}

export async function transcodeBench(options: { quick: boolean }): Promise<string> {
  const ffmpeg = (await locateFfmpeg())?.path;
  if (ffmpeg === undefined) return 'transcode bench skipped: no ffmpeg (FFMPEG_PATH, PATH or @ffmpeg-installer/ffmpeg)';
  const budget = options.quick ? QUICK : FULL;
  const { text, version } = await ffmpegVersion(ffmpeg);
  const file = await sourceFlv(ffmpeg);
  const command = ffmpegArgs(planLadder(LADDER, SOURCE, version), { version, progress: true });
  // As `tidecast serve` sets it at start (src/server/heap-tuning.ts): the server runs in this process.
  tuneHeapGrowing();
  const tiers: TierRow[] = [];
  const bares: BareRow[] = [];
  // Interleaved, so a change in the machine's load falls on both.
  for (let run = 0; run < budget.runs; run++) {
    process.stderr.write(`bench: transcode tier run ${run + 1}/${budget.runs}…\n`);
    tiers.push(await tierRun(ffmpeg, file, budget, command.args));
    process.stderr.write(`bench: bare ffmpeg run ${run + 1}/${budget.runs}…\n`);
    bares.push(await bareRun(ffmpeg, file, budget, command));
  }
  process.stderr.write(`bench: the tier's ffmpeg and the bare one at once…\n`);
  const paired = await pairedRun(ffmpeg, file, budget, command);
  process.stderr.write(`bench: the same publish without a ladder…\n`);
  const baseline = await baselineRun(ffmpeg, file, budget);
  process.stderr.write(`bench: transcode respawns (${budget.kills} SIGKILLs)…\n`);
  const respawn = await respawnRun(ffmpeg, file, budget);
  const head = `node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${text}; source ${path.basename(file)}; ladder 720p copy, 480p 1000k and 240p 300k libx264 veryfast; warm-up ${budget.warmupMs / 1000} s, window ${budget.windowMs / 1000} s, ${budget.runs} run(s) each`;
  return head + render(tiers, bares, paired, baseline, respawn, command.args);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  console.log(await transcodeBench({ quick: process.argv.includes('--quick') }));
}
