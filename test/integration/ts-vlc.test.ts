import { spawn, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ffmpegPath, spawnFfmpeg, type FfmpegRun, testsrcPublisherArgs } from '../helpers/ffmpeg.js';
import { nextPublish, startLiveServer, type LiveServer } from '../helpers/live.js';
import { findOnPath, killByPid, withTimeout } from '../helpers/process.js';
import { warmTsOutput } from '../helpers/ts-output.js';

/*
 * HLS over MPEG-TS in VLC (issue 11, Done-when 6): Debian's `cvlc` (VLC 3) plays `ts.m3u8` of a
 * ffmpeg `-re` publish (testsrc, as test/browser/ts-hlsjs.test.ts) headless for RUN_SECONDS, its adaptive module reading the playlist,
 * its own `ts` demuxer reading our segments and its decoders (avcodec for H.264, faad for AAC)
 * decoding them into the dummy outputs, which discard the pictures and the sound after decoding.
 * VLC joins a running output (test/helpers/ts-output.ts): the test reads ts.m3u8 until it lists
 * WARM_SEGMENTS, so VLC starts three targets back as players do. TIDECAST_TS_COLD=1 makes VLC the
 * first reader instead: it then starts at the live edge on the one segment the first answer lists,
 * starves at each segment boundary and says so ("ES_OUT_SET_(GROUP_)PCR is called too late
 * (pts_delay increased to …)", 6 times in 20 s, 2026-12-07), which fails the test.
 *
 * Asserted from VLC's -vv log: it opened the `ts` demuxer and a video and an audio decoder, and no
 * line says `error` except the few a headless run always prints (HEADLESS_ERRORS, each matched by
 * module and message); from the process: it exited 0 by itself after about RUN_SECONDS (VLC's
 * --run-time counts media time, so the wall time is that less the buffer it starts with); from the
 * server: VLC asked for at least MIN_SEGMENTS `ts/<n>.ts`, each answered 200. VLC refuses to run
 * as root, so as root it runs as `nobody` (Node drops the groups with the ids), HOME and
 * XDG_RUNTIME_DIR a temporary directory of its own.
 *
 * Real time: gated by TIDECAST_TS_VLC=1 (.ci/run, which installs Debian's `vlc`).
 * TIDECAST_TS_DEBUG=1 prints VLC's whole log.
 */

const ENABLED = process.env['TIDECAST_TS_VLC'] === '1';
const DEBUG = process.env['TIDECAST_TS_DEBUG'] === '1';
const COLD = process.env['TIDECAST_TS_COLD'] === '1';
/** Segments listed before VLC starts (its adaptive module starts three from the end). */
const WARM_SEGMENTS = 3;
/** The brief: 20 s of playback. */
const RUN_SECONDS = 20;
/** VLC starts with up to three segments buffered (6 s) and --run-time counts media time. */
const MIN_WALL_SECONDS = RUN_SECONDS - 7;
/** Startup, the first segment's wait (≤ 2.5 s) and a loaded machine. */
const MAX_WALL_SECONDS = RUN_SECONDS + 15;
/** 2 s segments over 20 s of media: 10, less the partial ones at both ends. */
const MIN_SEGMENTS = 8;
const STREAM = 'live/tsvlc';
/** VLC's -vv log of a 20 s run is ~100 KB; this bounds a runaway one. */
const MAX_LOG_BYTES = 16 * 1024 * 1024;
const UNPRIVILEGED_USER = 'nobody';

/**
 * Error lines a headless VLC prints whatever it plays: no D-Bus session and no X display for the
 * global hotkeys, so those two control interfaces fail to load. Matched by module and message;
 * anything else saying `error` fails the test.
 */
const HEADLESS_ERRORS: readonly RegExp[] = [
  /^main libvlc error: interface "(dbus|globalhotkeys),none" initialization failed$/,
  /^main interface error: no suitable interface module$/,
  /^dbus interface error: Failed to connect to the D-Bus session daemon: /,
];

/** `uid`/`gid` to run VLC with: ours when not root, `nobody`'s when root; or why not. */
function vlcUser(): { uid: number; gid: number } | { skip: string } {
  const uid = process.getuid?.();
  if (uid === undefined) return { skip: 'no POSIX user ids on this platform' };
  if (uid !== 0) return { uid, gid: process.getgid!() };
  try {
    const id = (flag: string): number => Number(execFileSync('id', [flag, UNPRIVILEGED_USER], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return { skip: `running as root and no user '${UNPRIVILEGED_USER}' to run VLC as (VLC refuses root)` };
  }
}

const cvlc = findOnPath('cvlc');
const ffmpeg = await ffmpegPath();
const user = vlcUser();
const skipReason = !ENABLED
  ? 'set TIDECAST_TS_VLC=1 to run (real-time, in .ci/run)'
  : cvlc === undefined
    ? 'cvlc not found (apt-get install vlc)'
    : ffmpeg === undefined
      ? 'ffmpeg not found'
      : 'skip' in user
        ? user.skip
        : undefined;

let live: LiveServer | undefined;
let home: string | undefined;
let publisher: FfmpegRun | undefined;

afterAll(async () => {
  if (publisher !== undefined) {
    killByPid(publisher.child);
    await publisher.done.catch(() => undefined);
  }
  await live?.close();
  if (home !== undefined) rmSync(home, { recursive: true, force: true });
});

interface VlcRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallSeconds: number;
  timedOut: boolean;
  /** stderr, VLC's log, line by line without the `[object address] ` prefix. */
  lines: string[];
}

function runVlc(path: string, args: readonly string[], ids: { uid: number; gid: number }, homeDir: string, timeoutMs: number): Promise<VlcRun> {
  const started = performance.now();
  const child = spawn(path, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    cwd: homeDir,
    uid: ids.uid,
    gid: ids.gid,
    env: { PATH: '/usr/bin:/bin', HOME: homeDir, XDG_RUNTIME_DIR: homeDir, LANG: 'C.UTF-8' },
  });
  return new Promise((resolve, reject) => {
    let log = '';
    let timedOut = false;
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      if (log.length < MAX_LOG_BYTES) log += text;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killByPid(child);
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const lines = log.split('\n').map((l) => l.replace(/^\[[0-9a-f]+\] /, ''));
      resolve({ code, signal, wallSeconds: (performance.now() - started) / 1000, timedOut, lines });
    });
  });
}

describe.skipIf(skipReason !== undefined)(`VLC plays HLS over MPEG-TS headless${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
  it(`cvlc decodes ${RUN_SECONDS} s of ts.m3u8 with no error line, reading at least ${MIN_SEGMENTS} TS segments`, { timeout: (MAX_WALL_SECONDS + 40) * 1000 }, async ({ annotate }) => {
    const ids = user as { uid: number; gid: number };
    live = await startLiveServer();
    const accepted = nextPublish(live.server, STREAM.slice('live/'.length));
    publisher = await spawnFfmpeg(testsrcPublisherArgs(live.rtmpUrl(STREAM), RUN_SECONDS + 40), { timeoutMs: (RUN_SECONDS + 60) * 1000 });
    const run0 = publisher;
    await withTimeout(Promise.race([accepted, run0.done.then((r) => Promise.reject(new Error(`ffmpeg ended before publishing: ${r.stderr}`)))]), 10_000, `publish of ${STREAM}`);

    // What the server answered, seen from its side: every request for the stream's TS output.
    const served: Array<{ path: string; status: number; userAgent: string }> = [];
    live.server.http.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const path = (request.url ?? '').replace(/\?.*$/, '');
      if (!path.startsWith(`/${STREAM}/ts`)) return;
      response.once('finish', () => served.push({ path, status: response.statusCode, userAgent: request.headers['user-agent'] ?? '' }));
    });

    if (!COLD) await warmTsOutput(live.httpUrl(`${STREAM}/ts.m3u8`), WARM_SEGMENTS, 30_000);
    const warmRequests = served.length;

    home = mkdtempSync(join(tmpdir(), 'tidecast-vlc-'));
    chownSync(home, ids.uid, ids.gid);
    const args = [
      '-vv', '--intf', 'dummy', '--no-dbus', '--no-video-title-show',
      '--vout', 'vdummy', '--aout', 'adummy',
      '--play-and-exit', '--run-time', String(RUN_SECONDS),
      live.httpUrl(`${STREAM}/ts.m3u8`),
    ]; // prettier-ignore
    const run = await runVlc(cvlc!, args, ids, home, MAX_WALL_SECONDS * 1000);

    const errorLines = run.lines.filter((l) => /\berror\b/i.test(l));
    const unexpectedErrors = errorLines.filter((l) => !HEADLESS_ERRORS.some((re) => re.test(l)));
    const vlcServed = served.slice(warmRequests);
    const segments = vlcServed.filter((s) => /\/ts\/\d+\.ts$/.test(s.path));
    const numbers = segments.map((s) => Number(/(\d+)\.ts$/.exec(s.path)![1]));
    const demuxedSeconds = Math.max(0, ...run.lines.map((l) => Number(/^adaptive demux debug: cached\.i_time \((\d+)\)/.exec(l)?.[1] ?? 0))) / 1e6;
    const modules = [...new Set(run.lines.map((l) => /^main (?:demux|decoder|video output|audio output|vout display) debug: using (.+)$/.exec(l)?.[1]).filter((m): m is string => m !== undefined))];
    const warnings = run.lines.filter((l) => /^(ts demux|adaptive demux|avcodec decoder|faad decoder|main decoder|main input) warning: /.test(l));
    const figures = {
      user: ids.uid,
      coldStart: COLD,
      exit: run.code,
      signal: run.signal,
      wallSeconds: Math.round(run.wallSeconds * 10) / 10,
      demuxedSeconds: Math.round(demuxedSeconds * 10) / 10,
      segmentsServed: segments.length,
      segmentNumbers: numbers.length === 0 ? 'none' : `${Math.min(...numbers)}..${Math.max(...numbers)}`,
      playlistsServed: vlcServed.filter((s) => s.path.endsWith('/ts.m3u8')).length,
      notOk: vlcServed.filter((s) => s.status !== 200).map((s) => `${s.path} ${s.status}`),
      modules,
      allowedErrors: errorLines.length - unexpectedErrors.length,
      unexpectedErrors,
      warnings,
    };
    const line = `TS VLC: ${JSON.stringify(figures)}`;
    console.log(line);
    await annotate(line);
    try {
      // It ran by itself to the end of --run-time and exited 0.
      expect(run.timedOut).toBe(false);
      expect(run.code).toBe(0);
      expect(run.wallSeconds).toBeGreaterThanOrEqual(MIN_WALL_SECONDS);
      expect(demuxedSeconds).toBeGreaterThanOrEqual(RUN_SECONDS);
      // Its own TS demuxer and real decoders, not a passthrough.
      expect(modules).toContain('demux module "adaptive"');
      expect(modules).toContain('demux module "ts"');
      expect(modules).toContain('video decoder module "avcodec"');
      expect(modules.some((m) => /^audio decoder module "(faad|avcodec)"$/.test(m))).toBe(true);
      expect(run.lines.some((l) => /^ts demux debug: {3}\* pid=\d+ type=0x1b /.test(l))).toBe(true);
      expect(run.lines.some((l) => /^ts demux debug: {3}\* pid=\d+ type=0xf /.test(l))).toBe(true);
      // No error line but the headless ones.
      expect(unexpectedErrors).toEqual([]);
      // The server saw the segments: consecutive numbers, every answer 200, all from VLC.
      expect(segments.length).toBeGreaterThanOrEqual(MIN_SEGMENTS);
      expect(numbers.slice(1).map((n, i) => n - numbers[i]!)).toEqual(numbers.slice(1).map(() => 1));
      expect(figures.notOk).toEqual([]);
      expect(segments.every((s) => s.userAgent.startsWith('VLC/'))).toBe(true);
    } catch (error) {
      if (!DEBUG) console.log(run.lines.join('\n'));
      throw error;
    } finally {
      if (DEBUG) console.log(run.lines.join('\n'));
    }
  });
});
