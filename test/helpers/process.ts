import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Child processes and time for tests: everything bounded, and only what a test started is ended,
 * by its PID.
 */

/** The first executable `name` in a PATH directory, or undefined. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Bytes the tool wrote to stdout (counted, not kept). */
  stdoutBytes: number;
  /** The first and the last 32 KiB of stderr: the handshake is logged first, the outcome last. */
  stderr: string;
  timedOut: boolean;
}

const STDERR_HEAD_BYTES = 32 * 1024;
const STDERR_TAIL_BYTES = 32 * 1024;

/** Spawns `path args`; at `timeoutMs` kills it with SIGKILL by its PID. */
export function spawnTool(path: string, args: readonly string[], options: { timeoutMs: number; cwd?: string }): { child: ChildProcess; done: Promise<ToolResult> } {
  const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: options.cwd });
  const done = new Promise<ToolResult>((resolve, reject) => {
    let head = '';
    let tail = '';
    let stdoutBytes = 0;
    let timedOut = false;
    child.stdout!.on('data', (chunk: Buffer) => (stdoutBytes += chunk.length));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      if (head.length < STDERR_HEAD_BYTES) head += text;
      else tail = (tail + text).slice(-STDERR_TAIL_BYTES);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killByPid(child);
    }, options.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdoutBytes, stderr: head + tail, timedOut });
    });
  });
  return { child, done };
}

/** SIGKILL to a child we started, by its PID, if it is still running. */
export function killByPid(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    // It exited between the check and the kill.
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`, or a rejection naming `what` after `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}


/** A free TCP port on 127.0.0.1: bound on port 0 and closed (for daemons that cannot take port 0). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port from a listening server');
  return address.port;
}

/**
 * A daemon a test started: `stop()` sends SIGTERM to its PID, SIGKILL after `graceMs`, and waits
 * for it to be gone. Spawned with stdio ignored.
 */
export function spawnDaemon(path: string, args: readonly string[], graceMs: number): { child: ChildProcess; pid: number | undefined; exited: () => boolean; stop: () => Promise<void> } {
  const child = spawn(path, args, { stdio: 'ignore' });
  const gone = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.once('error', () => undefined);
  const pid = child.pid;
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const stop = async (): Promise<void> => {
    if (pid === undefined || exited()) return;
    process.kill(pid, 'SIGTERM');
    const ended = await Promise.race([gone.then(() => true), delay(graceMs).then(() => false)]);
    if (!ended && !exited()) {
      process.kill(pid, 'SIGKILL');
      await gone;
    }
  };
  return { child, pid, exited, stop };
}

/** Whether a process with `pid` exists (signal 0: nothing is sent). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
