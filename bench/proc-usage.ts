import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * CPU time and RSS of other processes, read from Linux's /proc (proc(5)), so a Node server and
 * nginx are measured the same way from outside:
 *
 *   /proc/<pid>/stat    field 4 ppid, 14 utime, 15 stime (clock ticks, every thread of the process)
 *   /proc/<pid>/statm   field 2 resident pages
 *
 * Ticks are sysconf(_SC_CLK_TCK), 100 a second on Linux: 10 ms resolution, about 1 % of a 16 s
 * window of one stream's CPU. A process that has gone counts as zero.
 */

export interface ProcUsage {
  /** User + system CPU time of all the processes, in milliseconds. */
  readonly cpuMs: number;
  /** Sum of their resident set sizes, in bytes (shared pages count once per process). */
  readonly rssBytes: number;
  /** When it was read: performance.now() of this process. */
  readonly atMs: number;
}

const TICKS_PER_SECOND = readConf('CLK_TCK', 100);
const PAGE_BYTES = readConf('PAGESIZE', 4096);

function readConf(name: string, fallback: number): number {
  try {
    const value = Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim());
    return Number.isFinite(value) && value > 0 ? value : fallback;
  } catch {
    return fallback;
  }
}

/** The fields of /proc/<pid>/stat after the command name, which may itself hold spaces and ')'. */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU and RSS summed over `pids`. */
export function procUsage(pids: readonly number[]): ProcUsage {
  let ticks = 0;
  let pages = 0;
  for (const pid of pids) {
    // statFields()[0] is field 3 (state): utime is field 14, so index 11; stime index 12.
    const f = statFields(pid);
    if (f === undefined) continue;
    ticks += Number(f[11]) + Number(f[12]);
    try {
      pages += Number(readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')[1]);
    } catch {
      // gone between the two reads
    }
  }
  return { cpuMs: (ticks * 1000) / TICKS_PER_SECOND, rssBytes: pages * PAGE_BYTES, atMs: performance.now() };
}

/** `pid` and its direct children (nginx's master and workers). */
export function processFamily(pid: number): number[] {
  const family = [pid];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (f !== undefined && Number(f[1]) === pid) family.push(Number(name));
  }
  return family;
}

/** Signals a process by PID (SIGKILL unless told), if it is still there. */
export function killPid(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
