import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * wrk (Debian: apt-get install wrk), run as `wrk -t<threads> -c<connections> -d<seconds>s --latency
 * <url>`, and the figures read from its report:
 *
 *     99%    5.00ms                     ← Latency Distribution (us, ms, s, m)
 *   123456 requests in 10.00s, 1.23GB read
 *   Non-2xx or 3xx responses: 5          (only when there were some)
 *
 * wrk's sizes are binary (KB = 1024 B); MB/s here is 10^6 bytes a second, as elsewhere in the benches.
 */

export interface WrkResult {
  requestsPerSecond: number;
  megabytesPerSecond: number;
  p99Ms: number;
  requests: number;
  /** Answers that were not 2xx or 3xx, plus socket errors. */
  errors: number;
}

export interface WrkOptions {
  threads: number;
  connections: number;
  seconds: number;
}

/** wrk's path, or undefined when it is not installed. */
export function findWrk(): string | undefined {
  const run = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  return run.error === undefined ? 'wrk' : undefined;
}

export async function runWrk(wrk: string, url: string, options: WrkOptions): Promise<WrkResult> {
  const args = [`-t${options.threads}`, `-c${options.connections}`, `-d${options.seconds}s`, '--latency', url];
  const { stdout } = await promisify(execFile)(wrk, args, { timeout: (options.seconds + 30) * 1000 });
  return parseWrk(stdout);
}

const TIME_MS: Record<string, number> = { us: 1e-3, ms: 1, s: 1000, m: 60_000 };
const SIZE_BYTES: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

export function parseWrk(report: string): WrkResult {
  const p99 = /^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(report);
  const total = /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m), ([\d.]+)(B|KB|MB|GB|TB) read\s*$/m.exec(report);
  if (p99 === null || total === null) throw new Error(`wrk printed no latency distribution or totals:\n${report}`);
  const seconds = (Number(total[2]) * TIME_MS[total[3]!]!) / 1000;
  const requests = Number(total[1]);
  const bytes = Number(total[4]) * SIZE_BYTES[total[5]!]!;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(report)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(report);
  const errors = non2xx + (socketErrors === null ? 0 : socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0));
  return { requestsPerSecond: requests / seconds, megabytesPerSecond: bytes / 1e6 / seconds, p99Ms: Number(p99[1]) * TIME_MS[p99[2]!]!, requests, errors };
}
