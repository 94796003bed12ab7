import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { parseVideoTag, readFlvFile } from '../../src/flv/index.js';
import { FfmpegProcess, MAX_STDERR_LINE_CHARS, type FfmpegExit, type FfmpegProcessOptions } from '../../src/transcode/ffmpeg-process.js';
import type { FfmpegProgress } from '../../src/transcode/ffmpeg-progress.js';
import { checkLadderSpec, ffmpegArgs, parseFfmpegVersion, planLadder } from '../../src/transcode/index.js';
import { ffmpegPath, fixturePath } from '../helpers/ffmpeg.js';
import { delay, withTimeout } from '../helpers/process.js';

/**
 * FfmpegProcess against the installed ffmpeg (Debian's 5.1 in CI): the two-rung ladder fed the
 * fixture on stdin and stopped by EOF, a kill mid-run, a stop that ffmpeg ignores, a binary that
 * does not exist, the process group, the stderr tail, and the exit hook in a Node process of its
 * own. Every process a test starts is killed in afterEach if the test left it running.
 */

const ffmpeg = await ffmpegPath();
const version = ffmpeg === undefined ? undefined : (parseFfmpegVersion((await promisify(execFile)(ffmpeg, ['-version'])).stdout) ?? { major: 99, minor: 0 });

/** A source that never ends and never reads stdin: ffmpeg only stops when killed. */
const ENDLESS_LAVFI = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=10', '-f', 'null', '-'];

const started: FfmpegProcess[] = [];

function start(options: FfmpegProcessOptions): FfmpegProcess {
  const p = new FfmpegProcess(options);
  started.push(p);
  return p;
}

afterEach(async () => {
  for (const p of started.splice(0)) {
    p.kill();
    await p.exited;
  }
});

function nextProgress(p: FfmpegProcess): Promise<FfmpegProgress> {
  return withTimeout(new Promise((resolve) => p.once('progress', resolve)), 10_000, 'first progress block');
}

/** `/proc/<pid>/stat` fields after the command name (which may hold spaces): [state, ppid, pgrp, …]. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function videoFrameCount(bytes: Uint8Array): number {
  return readFlvFile(bytes).tags.filter((t) => t.type === 9 && parseVideoTag(t.body).packetType === 'coded-frames').length;
}

describe.skipIf(ffmpeg === undefined)(`FfmpegProcess on the installed ffmpeg${ffmpeg === undefined ? ' (skipped: no ffmpeg found; .ci/run installs it)' : ''}`, () => {
  it('the two-rung ladder: fixture on stdin with backpressure, both rungs read, progress blocks, stop() → code 0', async () => {
    const source = new Uint8Array(readFileSync(fixturePath('media/h264-aac.flv')));
    const spec = checkLadderSpec({ rungs: [{ codec: 'h264', height: 180, bitrateKbps: 300, preset: 'ultrafast' }, { codec: 'h264', height: 120, bitrateKbps: 150, preset: 'ultrafast' }] });
    const command = ffmpegArgs(planLadder(spec, { video: { codec: 'avc', width: 320, height: 240, frameRate: 30 }, audio: { codec: 'aac' } }, version!), { version: version! });
    const outputFds = command.outputs.map((o) => o.fd);
    expect(outputFds).toEqual([3, 4]);
    // The whole fixture (10 s) is fed at once, so stop() waits for the encode of the backlog: ~0.2 s
    // here, but a loaded machine must not turn that into a SIGKILL.
    const p = start({ path: ffmpeg!, args: ['-progress', 'pipe:5', ...command.args], outputFds, progressFd: 5, stopTimeoutMs: 20_000 });
    const outputs = new Map<number, Buffer[]>(outputFds.map((fd) => [fd, []]));
    const progress: FfmpegProgress[] = [];
    p.on('output', (fd, chunk) => outputs.get(fd)!.push(chunk));
    p.on('progress', (block) => progress.push(block));
    let exitEvents = 0;
    p.on('exit', () => (exitEvents += 1));

    let waitedForDrain = 0;
    for (let at = 0; at < source.length; at += 16 * 1024) {
      // Two views per write: the writev path.
      const chunk = source.subarray(at, at + 16 * 1024);
      if (p.write([chunk.subarray(0, 100), chunk.subarray(100)])) continue;
      expect(p.queuedBytes).toBeGreaterThan(0);
      waitedForDrain += 1;
      await new Promise<void>((resolve) => p.onDrain(resolve));
    }
    const exit = await p.stop();

    expect(exit).toEqual({ code: 0, signal: null, stopped: true, stderrTail: [] });
    expect(exitEvents).toBe(1);
    expect(waitedForDrain).toBeGreaterThan(0);
    const sourceFrames = videoFrameCount(source);
    for (const fd of outputFds) expect(videoFrameCount(new Uint8Array(Buffer.concat(outputs.get(fd)!))), `fd ${fd}`).toBe(sourceFrames);
    expect(progress.at(-1)).toMatchObject({ frame: sourceFrames, end: true, streams: [{ file: 0, stream: 0 }, { file: 1, stream: 0 }] });
    expect(progress.slice(0, -1).every((b) => !b.end)).toBe(true);

    // Idempotent and harmless after the exit.
    expect(await p.stop()).toBe(exit);
    p.kill();
    expect(p.write([new Uint8Array(10)])).toBe(true);
    expect(p.queuedBytes).toBe(0);
  });

  it('kill() mid-run: SIGKILL, reaped (no /proc entry), and ffmpeg led its own process group', async () => {
    const p = start({ path: ffmpeg!, args: ['-progress', 'pipe:3', ...ENDLESS_LAVFI], outputFds: [], progressFd: 3 });
    await nextProgress(p);
    const pid = p.pid!;
    const [state, ppid, pgrp] = procStat(pid)!;
    expect({ ppid: Number(ppid), pgrp: Number(pgrp), running: state !== 'Z' }).toEqual({ ppid: process.pid, pgrp: pid, running: true });

    p.kill();
    p.kill();
    const exit = await p.exited;
    expect(exit).toEqual({ code: null, signal: 'SIGKILL', stopped: true, stderrTail: [] });
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  });

  it('stop() on an ffmpeg that ignores EOF on stdin: SIGKILL after stopTimeoutMs', async () => {
    const p = start({ path: ffmpeg!, args: ['-progress', 'pipe:3', ...ENDLESS_LAVFI], outputFds: [], progressFd: 3, stopTimeoutMs: 300 });
    await nextProgress(p);
    const stopAt = performance.now();
    const exit = await p.stop();
    const stopMs = performance.now() - stopAt;
    expect(exit).toMatchObject({ code: null, signal: 'SIGKILL', stopped: true });
    expect(stopMs).toBeGreaterThanOrEqual(290);
    expect(stopMs).toBeLessThan(1500);
    expect(existsSync(`/proc/${p.pid}`)).toBe(false);
  });

  it('ffmpeg failing on its own: its exit code and the reason from stderr, stopped false', async () => {
    const p = start({ path: ffmpeg!, args: ['-hide_banner', '-nostdin', '-f', 'lavfi', '-i', 'nosuchfilter', '-f', 'null', '-'], outputFds: [] });
    const exit = await p.exited;
    expect(exit.code).not.toBe(0);
    expect({ signal: exit.signal, stopped: exit.stopped }).toEqual({ signal: null, stopped: false });
    expect(exit.stderrTail.join('\n')).toMatch(/No such filter: 'nosuchfilter'/);
  });
});

describe('FfmpegProcess without ffmpeg', () => {
  it('a missing binary is an exit with spawnError (ENOENT), never a throw; every call stays harmless', async () => {
    const p = start({ path: '/nonexistent/ffmpeg', args: ['-version'], outputFds: [3], progressFd: 4 });
    expect(p.pid).toBeUndefined();
    let exitEvents = 0;
    p.on('exit', () => (exitEvents += 1));
    expect(p.write([new Uint8Array(4)])).toBe(true);
    const exit = await p.stop();
    p.kill();
    expect(exit).toMatchObject({ code: null, signal: null, stopped: false, stderrTail: [] });
    expect((exit.spawnError as NodeJS.ErrnoException | undefined)?.code).toBe('ENOENT');
    await delay(10);
    expect(exitEvents).toBe(1);
  });

  it('a spawn that throws (Node throws, not emits, some errors) is reported the same way', async () => {
    const failure = new Error('E2BIG');
    const p = start({ path: 'ffmpeg', args: [], outputFds: [], spawn: () => { throw failure; } }); // prettier-ignore
    const exit = await new Promise<FfmpegExit>((resolve) => p.once('exit', resolve));
    expect(exit).toEqual({ code: null, signal: null, stopped: false, stderrTail: [], spawnError: failure });
    expect(await p.exited).toBe(exit);
  });

  it('the stderr tail keeps the last stderrLines lines, each cut at MAX_STDERR_LINE_CHARS (a 10 MB line)', async () => {
    const script = "for (let i = 0; i < 100; i++) process.stderr.write('line ' + i + '\\n'); process.stderr.write('x'.repeat(1e7) + '\\nlast');";
    const p = start({ path: process.execPath, args: ['-e', script], outputFds: [], stderrLines: 3 });
    const exit = await p.exited;
    expect(exit.code).toBe(0);
    expect(exit.stderrTail).toEqual(['line 99', 'x'.repeat(MAX_STDERR_LINE_CHARS) + '…', 'last']);
  });

  it.each([
    [{ outputFds: [2] }, 'outputFds'],
    [{ outputFds: [3, 3] }, 'outputFds'],
    [{ outputFds: [64] }, 'outputFds'],
    [{ outputFds: [3], progressFd: 3 }, 'progressFd'],
    [{ outputFds: [], progressFd: 1.5 }, 'progressFd'],
    [{ outputFds: [], stopTimeoutMs: -1 }, 'stopTimeoutMs'],
    [{ outputFds: [], stderrLines: 0.5 }, 'stderrLines'],
  ] as const)('%o is refused before anything is spawned, naming %s', (options, option) => {
    let spawned = false;
    const make = (): FfmpegProcess => new FfmpegProcess({ path: 'ffmpeg', args: [], ...options, spawn: () => ((spawned = true), null as unknown as ChildProcess) });
    expect(make).toThrow(ConfigError);
    expect(make).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID', details: expect.objectContaining({ option }) }));
    expect(spawned).toBe(false);
  });
});

describe.skipIf(ffmpeg === undefined)('FfmpegProcess: the exit hook', () => {
  it("on the Node process's exit, a running ffmpeg group is SIGKILLed (no orphan left running)", async () => {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const moduleUrl = new URL('../../src/transcode/ffmpeg-process.ts', import.meta.url).href;
    // The child exits with ffmpeg running and no pipe ffmpeg would notice closing.
    const code = `
      const { FfmpegProcess } = await import(${JSON.stringify(moduleUrl)});
      const p = new FfmpegProcess({ path: ${JSON.stringify(ffmpeg)}, args: ${JSON.stringify(ENDLESS_LAVFI)}, outputFds: [] });
      console.log(p.pid);
      setTimeout(() => process.exit(0), 300);`;
    const node = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    node.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const nodeCode = await withTimeout(new Promise((resolve) => node.on('close', resolve)), 20_000, 'the node child');
    const pid = Number(stdout.trim());
    expect({ nodeCode, pid: Number.isInteger(pid) && pid > 0 }).toEqual({ nodeCode: 0, pid: true });
    try {
      // Orphaned, ffmpeg is its init's to reap: gone, or a zombie where init does not reap (containers).
      let state = procStat(pid)?.[0];
      for (let waited = 0; state !== undefined && state !== 'Z' && waited < 2000; waited += 50) {
        await delay(50);
        state = procStat(pid)?.[0];
      }
      expect(state === undefined || state === 'Z', `ffmpeg ${pid} state ${state}`).toBe(true);
    } finally {
      // Had the hook failed, the ffmpeg this test started would still run: end it by its pid.
      const state = procStat(pid)?.[0];
      if (state !== undefined && state !== 'Z') process.kill(pid, 'SIGKILL');
    }
  });
});
