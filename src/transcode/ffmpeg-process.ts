import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions, type StdioOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { EventEmitter } from 'eventemitter3';
import { checkIntegerOption, invalidOption } from '../config/index.js';
import { FfmpegProgressParser, LineSplitter, type FfmpegProgress } from './ffmpeg-progress.js';

/**
 * One ffmpeg child for a live ladder: the source's FLV goes in on stdin, each rung comes out on
 * its own pipe (fd 3, 4, …, as ffmpegArgs numbers them), and `-progress pipe:N` reports on
 * another. The supervisor above restarts it (RestartBackoff); this class only owns the process:
 *
 * - its own process group (`detached`, i.e. setsid), so a SIGKILL to the group also reaches any
 *   helper ffmpeg may start, and a Ctrl-C at the server's terminal reaches the server only, which
 *   stops its ladders in its own order rather than have each ffmpeg quit at the same instant;
 * - always waited for: `exited` resolves on the child's 'close', after Node reaped it and every
 *   pipe was read to its end, so no zombie is left and no output is lost;
 * - never an orphan: on the Node process's 'exit' every live group is SIGKILLed. A server killed by
 *   a signal runs no 'exit' handler, but then ffmpeg reads EOF on stdin and gets EPIPE on its
 *   outputs, and ends on its own;
 * - failures are exits: a binary that cannot be spawned is an `exit` with `spawnError`, never a
 *   throw or an 'error' event nobody listens to, so one ladder's trouble never ends the server.
 */

export interface FfmpegProcessOptions {
  /** The executable (locateFfmpeg's path). */
  readonly path: string;
  /** The argv without the executable (ffmpegArgs's args, plus `-progress pipe:N` when wanted). */
  readonly args: readonly string[];
  /** The fds ffmpeg writes an output to (`pipe:3` …), each emitted as 'output'. */
  readonly outputFds: readonly number[];
  /** The fd of `-progress pipe:N`: its blocks are emitted as 'progress'. Default: none. */
  readonly progressFd?: number;
  /** Time ffmpeg has to flush and exit after stop() closed its stdin, then SIGKILL; default DEFAULT_STOP_TIMEOUT_MS. */
  readonly stopTimeoutMs?: number;
  /** Lines of stderr kept for the exit report; default DEFAULT_STDERR_LINES. */
  readonly stderrLines?: number;
  /** node:child_process spawn, or a stand-in with its signature (tests). */
  readonly spawn?: SpawnFunction;
}

export type SpawnFunction = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

/** How the process ended; the one 'exit' event and `exited` carry the same object. */
export interface FfmpegExit {
  /** The exit status; null when a signal ended it or it never ran. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** stop() or kill() was called before it exited: an end the supervisor asked for, not a crash. */
  readonly stopped: boolean;
  /** The last lines of stderr, oldest first (ffmpeg says why it failed last). */
  readonly stderrTail: string[];
  /** The spawn failed (ENOENT, EACCES, …): ffmpeg never ran. */
  readonly spawnError?: Error;
}

export interface FfmpegProcessEvents {
  /** Bytes of the output on `fd`, in order; the Buffer is the caller's to keep. */
  output: [fd: number, chunk: Buffer];
  progress: [progress: FfmpegProgress];
  /** Exactly once, after every 'output' and 'progress'. */
  exit: [exit: FfmpegExit];
}

/**
 * ffmpeg flushes on EOF (encoders drain, muxers write trailers): with -tune zerolatency there is no
 * lookahead to drain, and the two-rung test ladder exits in well under a second; 2 s leaves room
 * for a loaded machine before it is killed.
 */
export const DEFAULT_STOP_TIMEOUT_MS = 2000;
/** The last 40 lines hold ffmpeg's error and the few warnings before it. */
export const DEFAULT_STDERR_LINES = 40;
/** A stderr line is cut here: enough for any message ffmpeg writes, bounded for one that is not. */
export const MAX_STDERR_LINE_CHARS = 2000;
/** Highest pipe fd: the stdio array has one entry per fd up to it; a ladder needs under 16. */
export const MAX_PIPE_FD = 63;

const STOP_TIMEOUT_MS_MAX = 60_000;
const STDERR_LINES_MAX = 10_000;
const TRUNCATED_MARK = '…';

export class FfmpegProcess extends EventEmitter<FfmpegProcessEvents> {
  /** The child's pid, which is also its process group's id; undefined when the spawn failed. */
  readonly pid: number | undefined;
  /** Resolves once, when the process was reaped and its pipes drained (the 'exit' event's value). */
  readonly exited: Promise<FfmpegExit>;

  private readonly stdin: Writable | null;
  private readonly stopTimeoutMs: number;
  private readonly stderrLineLimit: number;
  private readonly stderr: string[] = [];
  private readonly stderrSplitter = new LineSplitter(MAX_STDERR_LINE_CHARS);
  private readonly drainListeners = new Set<() => void>();
  private resolveExited!: (exit: FfmpegExit) => void;
  /** Spawned and not yet reaped: only then may its pid be signalled (after, the pid may be reused). */
  private running = false;
  private stopRequested = false;
  private killSent = false;
  private stopTimer: NodeJS.Timeout | undefined;
  private spawnError: Error | undefined;
  private exitReport: FfmpegExit | undefined;

  constructor(options: FfmpegProcessOptions) {
    super();
    const outputFds = checkFds('outputFds', options.outputFds);
    const progressFd = options.progressFd === undefined ? undefined : checkFds('progressFd', [options.progressFd])[0]!;
    if (progressFd !== undefined && outputFds.includes(progressFd)) throw invalidOption('progressFd', 'an fd not in outputFds', String(progressFd));
    this.stopTimeoutMs = checkIntegerOption('stopTimeoutMs', options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS, 0, STOP_TIMEOUT_MS_MAX);
    this.stderrLineLimit = checkIntegerOption('stderrLines', options.stderrLines ?? DEFAULT_STDERR_LINES, 0, STDERR_LINES_MAX);
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));

    const spawn: SpawnFunction = options.spawn ?? nodeSpawn;
    let child: ChildProcess;
    try {
      child = spawn(options.path, options.args, {
        // Windows has no process groups to signal, and detached there opens a console window.
        detached: process.platform !== 'win32',
        windowsHide: true,
        stdio: stdioOf(outputFds, progressFd),
      });
    } catch (err) {
      // Node emits ENOENT, EACCES, EAGAIN, EMFILE and ENFILE, but throws other spawn errors (an argv
      // over E2BIG, a NUL in an argument): the same outcome, reported the same way.
      this.pid = undefined;
      this.stdin = null;
      this.spawnError = err instanceof Error ? err : new Error(String(err));
      process.nextTick(() => this.finish(null, null));
      return;
    }
    this.pid = child.pid;
    this.stdin = child.stdin;
    this.running = this.pid !== undefined;
    if (this.pid !== undefined) trackGroup(this.pid);
    this.wire(child, outputFds, progressFd);
  }

  /**
   * Queues `chunks` for ffmpeg's stdin in one writev. The chunks are held, not copied, until
   * written (`queuedBytes`): pass bytes nobody changes afterwards. Returns false once stdin holds
   * more than its highWaterMark: stop feeding until onDrain. After stdin closed (stop(), or ffmpeg
   * gone) the chunks are dropped and true is returned: no drain would come, the 'exit' event will.
   */
  write(chunks: readonly Uint8Array[]): boolean {
    const stdin = this.stdin;
    if (stdin === null || stdin.destroyed || stdin.writableEnded) return true;
    stdin.cork();
    for (const chunk of chunks) stdin.write(chunk);
    // Read after uncork, which hands everything to the pipe at once and often empties the queue.
    // Above the mark, the last write returned false, so Node emits 'drain' once it empties.
    stdin.uncork();
    return stdin.writableLength < stdin.writableHighWaterMark;
  }

  /** Bytes written to stdin that ffmpeg has not read yet. */
  get queuedBytes(): number {
    return this.stdin?.writableLength ?? 0;
  }

  /** Calls `listener` once, when stdin's queue has emptied after write returned false (never after exit). */
  onDrain(listener: () => void): void {
    if (this.exitReport === undefined) this.drainListeners.add(listener);
  }

  /** The last stderr lines so far, oldest first. */
  stderrTail(): string[] {
    return [...this.stderr];
  }

  /**
   * Ends stdin: ffmpeg reads EOF, flushes its outputs and exits 0. If it has not exited within
   * stopTimeoutMs (stuck, or reading a source other than stdin), its group is SIGKILLed.
   */
  stop(): Promise<FfmpegExit> {
    if (this.running && !this.stopRequested) {
      this.stopRequested = true;
      if (this.stdin !== null && !this.stdin.writableEnded) this.stdin.end();
      this.stopTimer = setTimeout(() => this.kill(), this.stopTimeoutMs);
    }
    return this.exited;
  }

  /** SIGKILLs the process group now; the 'exit' event follows. */
  kill(): void {
    if (!this.running || this.killSent || this.pid === undefined) return;
    this.stopRequested = true;
    this.killSent = true;
    killGroup(this.pid);
  }

  private wire(child: ChildProcess, outputFds: readonly number[], progressFd: number | undefined): void {
    // A pipe's error means ffmpeg's end of it is gone (EPIPE on stdin once it exited): the process
    // is ending, and 'close' reports how.
    const ignore = (): void => undefined;
    this.stdin?.on('error', ignore);
    this.stdin?.on('drain', () => {
      const listeners = [...this.drainListeners];
      this.drainListeners.clear();
      for (const listener of listeners) listener();
    });
    for (const fd of outputFds) {
      const pipe = child.stdio[fd] as Readable | null | undefined;
      pipe?.on('error', ignore).on('data', (chunk: Buffer) => this.emit('output', fd, chunk));
    }
    if (progressFd !== undefined) {
      const parser = new FfmpegProgressParser();
      const pipe = child.stdio[progressFd] as Readable | null | undefined;
      pipe?.on('error', ignore).on('data', (chunk: Buffer) => {
        for (const block of parser.push(chunk)) this.emit('progress', block);
      });
    }
    child.stderr?.on('error', ignore).on('data', (chunk: Buffer) => this.stderrSplitter.push(chunk, this.keepStderrLine));
    child.on('error', (err) => {
      // The only 'error' a child we never .kill() or .send() on emits: the spawn failed.
      if (this.pid === undefined) this.spawnError = err;
    });
    child.on('exit', () => this.reaped());
    child.on('close', (code, signal) => this.finish(code, signal));
  }

  private readonly keepStderrLine = (line: string, truncated: boolean): void => {
    if (this.stderrLineLimit === 0) return;
    if (this.stderr.length === this.stderrLineLimit) this.stderr.shift();
    this.stderr.push(truncated ? line + TRUNCATED_MARK : line);
  };

  private reaped(): void {
    if (this.running && this.pid !== undefined) untrackGroup(this.pid);
    this.running = false;
    clearTimeout(this.stopTimer);
  }

  private finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exitReport !== undefined) return;
    this.reaped();
    this.stderrSplitter.end(this.keepStderrLine);
    this.drainListeners.clear();
    const failed = this.spawnError;
    this.exitReport = failed === undefined
      ? { code, signal, stopped: this.stopRequested, stderrTail: this.stderrTail() }
      : { code: null, signal: null, stopped: this.stopRequested, stderrTail: this.stderrTail(), spawnError: failed };
    this.resolveExited(this.exitReport);
    this.emit('exit', this.exitReport);
  }
}

/** stdin a pipe, stdout unused (ffmpeg writes outputs to the fds we give), stderr a pipe, then fds 3…max. */
function stdioOf(outputFds: readonly number[], progressFd: number | undefined): StdioOptions {
  const piped = new Set(progressFd === undefined ? outputFds : [...outputFds, progressFd]);
  const stdio: Array<'pipe' | 'ignore'> = ['pipe', 'ignore', 'pipe'];
  for (let fd = 3; fd <= Math.max(2, ...piped); fd++) stdio.push(piped.has(fd) ? 'pipe' : 'ignore');
  return stdio;
}

function checkFds(name: string, fds: readonly number[]): readonly number[] {
  const valid = fds.every((fd) => Number.isInteger(fd) && fd >= 3 && fd <= MAX_PIPE_FD) && new Set(fds).size === fds.length;
  if (!valid) throw invalidOption(name, `distinct integers from 3 to ${MAX_PIPE_FD}`, `[${fds.join(', ')}]`);
  return fds;
}

/*
 * The one module state, for the one thing that cannot be per instance: on the Node process's
 * 'exit', SIGKILL the groups still running. The listener is there only while a group is.
 */
const liveGroups = new Set<number>();

function trackGroup(pid: number): void {
  if (liveGroups.size === 0) process.on('exit', killLiveGroups);
  liveGroups.add(pid);
}

function untrackGroup(pid: number): void {
  liveGroups.delete(pid);
  if (liveGroups.size === 0) process.off('exit', killLiveGroups);
}

function killLiveGroups(): void {
  for (const pid of liveGroups) killGroup(pid);
}

/**
 * SIGKILL to the group (`-pid`) of a child not yet reaped: a zombie leader still holds its group
 * id, so the id cannot have been reused. On Windows, the process itself.
 */
function killGroup(pid: number): void {
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, 'SIGKILL');
  } catch (err) {
    // ESRCH: the whole group is gone already.
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
