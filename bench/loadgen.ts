import { fork } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderReport } from '../src/cli/loadgen-command.js';
import { runLoadgen } from '../src/cli/loadgen.js';

/**
 * The load generator against one origin on this machine, in one command (docs/benchmarks.md,
 * "Load generator"): a tidecast server in a process of its own (bench/live-server-child.ts: loopback
 * ports 0, per-address limits raised for one load-generating address), one real-time publisher of
 * the 10 s h264-aac fixture and N virtual LL-HLS viewers in this process (src/cli/loadgen.ts, what
 * `tidecast loadgen` runs).
 *
 *   npx tsx bench/loadgen.ts [--viewers 200] [--duration 30] [--ramp 5] [--json]
 *
 * Against an edge or a cluster, run `tidecast loadgen --url …` instead (docs/cluster.md).
 */

const { values } = parseArgs({ options: { viewers: { type: 'string' }, duration: { type: 'string' }, ramp: { type: 'string' }, json: { type: 'boolean' } } });
const viewers = Number(values.viewers ?? 200);
const durationSeconds = Number(values.duration ?? 30);
const rampSeconds = Number(values.ramp ?? 5);

const child = fork(fileURLToPath(new URL('./live-server-child.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
try {
  const ports = await new Promise<{ rtmpPort: number; httpPort: number }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server child exited (${code})`)));
    child.on('message', (m: { type: string; rtmpPort: number; httpPort: number }) => m.type === 'ready' && resolve(m));
  });
  const report = await runLoadgen({
    url: `http://127.0.0.1:${ports.httpPort}/live/loadgen/index.m3u8`,
    viewers,
    durationSeconds,
    rampSeconds,
    publishers: 1,
    publishUrl: `rtmp://127.0.0.1:${ports.rtmpPort}/live/loadgen`,
    file: fileURLToPath(new URL('../fixtures/media/h264-aac.flv', import.meta.url)),
  });
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores; server in its own process, ${viewers} viewers over ${rampSeconds} s, ${durationSeconds} s`);
  console.log(values.json === true ? JSON.stringify(report, null, 2) : renderReport(report));
} finally {
  child.send({ type: 'stop' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
  clearTimeout(timer);
}
