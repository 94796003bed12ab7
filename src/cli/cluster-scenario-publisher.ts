import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { locateFfmpeg } from '../transcode/index.js';

/**
 * The fault scenarios' publisher (cluster-scenarios.ts): ffmpeg publishing in real time over RTMP,
 * restarted whenever it exits, as an encoder with automatic reconnection does (OBS, ffmpeg in a
 * supervisor loop). Its input is the project's FLV fixture copied as is (no encoding: the machine's
 * cores are the cluster's), or, when the fixture is not there, a 480p ultrafast test pattern. A
 * watchdog kills an ffmpeg that makes no progress (its `-progress` byte count stands still) for
 * `stallMs`: a connection to a frozen origin stalls without an error, and an encoder gives up on
 * it after a few seconds. Each (re)start reads `url()` again, so a scenario can point it elsewhere.
 */

export interface PublisherStart {
  readonly atMs: number;
  readonly url: string;
}

export interface PublisherExit {
  readonly atMs: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Why it ended when the publisher ended it: 'stalled', 'killed' (by the scenario), 'stopped'. */
  readonly reason: string | undefined;
  /** ffmpeg's last stderr lines. */
  readonly stderr: string;
}

export interface ScenarioPublisherOptions {
  readonly ffmpeg: string;
  /** Where to publish, read at each (re)start: rtmp://host:port/app/key. */
  readonly url: () => string;
  /** Between an exit and the next start (an encoder's reconnect delay). Default 500 ms. */
  readonly restartDelayMs?: number;
  /** No progress for this long: the connection stalled, ffmpeg is killed (and restarted). Default 3000 ms. */
  readonly stallMs?: number;
  readonly log?: (line: string) => void;
}

/** The fixture the publishers copy: 320x240 H.264 + AAC, a keyframe every 2 s, 10 s, looped. */
const FIXTURE = fileURLToPath(new URL('../../fixtures/media/h264-aac.flv', import.meta.url));

/** ffmpeg's input and codec arguments: the fixture copied, or a test pattern at 480p ultrafast. */
export function publisherInputArgs(): string[] {
  if (existsSync(FIXTURE)) return ['-re', '-stream_loop', '-1', '-i', FIXTURE, '-c', 'copy'];
  return ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=854x480:rate=30', '-f', 'lavfi', '-i', 'sine', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '60', '-c:a', 'aac'];
}

/** ffmpeg as the project finds it (FFMPEG_PATH, PATH, the optional package); an error saying so when absent. */
export async function scenarioFfmpeg(): Promise<string> {
  const found = await locateFfmpeg();
  if (found === undefined) throw new Error('the scenarios publish with ffmpeg: none found (FFMPEG_PATH, PATH, @ffmpeg-installer/ffmpeg)');
  return found.path;
}

export class ScenarioPublisher {
  readonly starts: PublisherStart[] = [];
  readonly exits: PublisherExit[] = [];
  #child: ChildProcess | undefined;
  #reason: string | undefined;
  #stopped = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #gone: Promise<void> = Promise.resolve();

  constructor(readonly options: ScenarioPublisherOptions) {}

  /** Starts publishing (and keeps doing so until `stop()`). */
  start(): this {
    this.#spawn();
    return this;
  }

  /** The running ffmpeg's PID, if one runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /**
   * Ends the running ffmpeg now, by its PID, and it is restarted after the delay: SIGKILL (a crash,
   * a stall), or SIGTERM (a planned stop: ffmpeg ends its RTMP publish before it exits).
   */
  kill(reason: string, signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): void {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    this.#reason = reason;
    child.kill(signal);
  }

  /** Stops for good: no restart, the running ffmpeg ended (SIGTERM, SIGKILL after 2 s). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#restartTimer);
    clearTimeout(this.#watchdog);
    const child = this.#child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      this.#reason = 'stopped';
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.kill('SIGTERM');
      await this.#gone;
      clearTimeout(timer);
    }
  }

  #spawn(): void {
    if (this.#stopped) return;
    const url = this.options.url();
    const args = ['-hide_banner', '-nostdin', '-v', 'error', '-progress', 'pipe:1', '-stats_period', '0.5', ...publisherInputArgs(), '-f', 'flv', url];
    const child = spawn(this.options.ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#reason = undefined;
    this.starts.push({ atMs: Date.now(), url });
    this.options.log?.(`publisher: ffmpeg (pid ${child.pid}) → ${url}`);
    let stderr = '';
    let lastSize = '';
    const stallMs = this.options.stallMs ?? 3000;
    const arm = (): void => {
      clearTimeout(this.#watchdog);
      this.#watchdog = setTimeout(() => this.kill('stalled'), stallMs);
    };
    arm();
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      // `total_size=` is what the muxer wrote: it stands still when the connection does.
      for (const m of text.matchAll(/^total_size=(\d+)$/gm)) {
        if (m[1] !== lastSize) {
          lastSize = m[1]!;
          arm();
        }
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-2000)));
    this.#gone = new Promise((resolve) => {
      child.once('error', (error) => {
        stderr += String(error);
      });
      child.once('close', (code, signal) => {
        clearTimeout(this.#watchdog);
        const reason = this.#reason;
        this.exits.push({ atMs: Date.now(), code, signal, reason, stderr: stderr.trim() });
        this.options.log?.(`publisher: ffmpeg (pid ${child.pid}) ended (${reason ?? (signal ?? `exit ${code}`)})${reason === undefined && stderr.trim() !== '' ? `: ${stderr.trim().split('\n').at(-1)}` : ''}`);
        resolve();
        if (!this.#stopped) this.#restartTimer = setTimeout(() => this.#spawn(), this.options.restartDelayMs ?? 500);
      });
    });
  }
}
