import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { delay, findOnPath, freePort, spawnDaemon } from './process.js';

/**
 * A real Prometheus for tests (Debian's `prometheus` package): on a free port, its TSDB and config in
 * a temporary directory, scraping one target every second, ended by its PID. Tests skip with
 * `PROMETHEUS_SKIP_REASON` when it is not installed (.ci/run installs it).
 */

export const prometheusPath = findOnPath('prometheus');
export const PROMETHEUS_SKIP_REASON = prometheusPath === undefined ? ' (skipped: no prometheus on PATH; .ci/run installs it)' : '';

const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5000;

export interface Prometheus {
  readonly url: string;
  readonly pid: number;
  /** An instant query's result: each series' labels and value. */
  query(promql: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  /** SIGTERM (SIGKILL after 5 s), then its directory removed. */
  stop(): Promise<void>;
}

/** Starts Prometheus scraping `target` (`host:port`, path /metrics) every second; resolves once it is ready. */
export async function startPrometheus(target: string): Promise<Prometheus> {
  if (prometheusPath === undefined) throw new Error('prometheus is not installed');
  const dir = await mkdtemp(join(tmpdir(), 'tidecast-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  await writeFile(config, ['global:', '  scrape_interval: 1s', '  evaluation_interval: 1s', 'scrape_configs:', '  - job_name: tidecast', '    metrics_path: /metrics', '    static_configs:', `      - targets: ['${target}']`, ''].join('\n'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'];
  const daemon = spawnDaemon(prometheusPath, args, STOP_GRACE_MS);
  const pid = daemon.pid;
  const stop = async (): Promise<void> => {
    await daemon.stop();
    await rm(dir, { recursive: true, force: true });
  };
  if (pid === undefined) {
    await stop();
    throw new Error(`prometheus at ${prometheusPath} did not start`);
  }
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (daemon.exited() || Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus on port ${port} was not ready within ${START_TIMEOUT_MS} ms (exit ${daemon.child.exitCode ?? daemon.child.signalCode ?? 'none'})`);
    }
    await delay(200);
  }
  return {
    url,
    pid,
    async query(promql) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await res.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (body.status !== 'success') throw new Error(`prometheus query ${promql}: ${JSON.stringify(body)}`);
      return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    stop,
  };
}
