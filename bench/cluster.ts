import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parkedPhase, viewersPhase, type ParkedResult, type ViewersResult } from './cluster-phases.js';
import { nginxCounter, publishThroughHaproxy, startClusterInProcess, varnishCounter, varnishParam, varnishStats, waitForStream, type BenchCluster } from './cluster-run.js';
import { openFileLimit } from './ll-hls.bench.js';

/**
 * Issue 14's cluster figures (Done-when 1 and 3), on one machine over loopback:
 *
 *   npx tsx bench/cluster.ts [--viewers 200] [--seconds 60] [--parked 2000,10000] [--edges varnish,nginx[,origin]] [--rounds 5]
 *                            [--varnish-param thread_pool_min=1000,…] [--json file]
 *   npm run bench -- cluster [the same options]     (opt-in: not part of `npm run bench` or --quick)
 *
 * startLocalCluster (src/cli/cluster-local.ts: redis-server, two `tidecast serve` origins, HAProxy
 * with PROXY v2 in front of their RTMP ports, a Varnish and an nginx edge), ffmpeg publishing the
 * 320x240 fixture through HAProxy in real time (`-re -stream_loop -1 -c copy`), then, one edge at a
 * time (Varnish, then nginx; never both at once: the two cores are shared by everything):
 *
 * 1. N virtual LL-HLS viewers (src/cli/loadgen.ts) through the edge for S seconds, with one
 *    reference viewer asking the owner origin directly: origin requests per part per rendition
 *    (counted at the edge: `varnishncsa -b`, nginx's access log), edge hop p50/p99 after the part
 *    appears, statuses, cache hit ratio, continuity errors (bench/cluster-phases.ts);
 * 2. for each --parked N: N parked blocking requests through the edge, released by one part; the
 *    release spread measured at the clients against a reference request parked at the owner.
 *
 * `--edges …,origin` adds the parked measurement against the owner origin itself (no edge), the
 * baseline at the same moment on the same machine. `--varnish-param` sets Varnish runtime
 * parameters (varnishadm param.set) before measuring, to try what the generated varnishd arguments
 * would need. Viewers 0 or parked 0 skip a measurement. Prints a table per measurement and a JSON
 * summary (to --json as well).
 */

export interface ClusterBenchOptions {
  readonly viewers: number;
  readonly seconds: number;
  readonly parked: readonly number[];
  /** `origin`: the parked measurement against the owner origin itself, no edge (the baseline on the same machine at the same moment); it has no viewers phase. */
  readonly edges: ReadonlyArray<'varnish' | 'nginx' | 'origin'>;
  readonly rounds: number;
  /** Varnish runtime parameters set before the measurements (`--varnish-param thread_pool_min=1000,timeout_idle=60`): varnishadm param.set. */
  readonly varnishParams: ReadonlyArray<readonly [string, string]>;
  readonly json?: string;
}

export interface ClusterBenchSummary {
  readonly machine: { readonly node: string; readonly cpu: string; readonly cores: number; readonly loadAverageAtStart: number[]; readonly loadAverageAtEnd: number[] };
  readonly options: ClusterBenchOptions;
  readonly owner: string;
  readonly viewers: Array<ReturnType<typeof viewerRow>>;
  readonly parked: Array<ReturnType<typeof parkedRow>>;
  /** Varnish's counters that tell whether its thread pool or waiting list held anything up, per measurement (differences). */
  readonly varnishCounters: Record<string, Record<string, number>>;
  readonly bounds: Record<string, { readonly value: number; readonly bound: number; readonly met: boolean }>;
}

export function parseClusterArgs(args: readonly string[]): ClusterBenchOptions {
  const { values } = parseArgs({
    args: [...args],
    strict: false,
    options: { viewers: { type: 'string' }, seconds: { type: 'string' }, parked: { type: 'string' }, edges: { type: 'string' }, rounds: { type: 'string' }, json: { type: 'string' }, 'varnish-param': { type: 'string' } },
  });
  const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
  const edges = (str(values.edges) ?? 'varnish,nginx').split(',').filter((e): e is 'varnish' | 'nginx' | 'origin' => e === 'varnish' || e === 'nginx' || e === 'origin');
  const json = str(values.json);
  return {
    viewers: Number(str(values.viewers) ?? 200),
    seconds: Number(str(values.seconds) ?? 60),
    parked: (str(values.parked) ?? '2000,10000').split(',').filter((s) => s !== '' && s !== '0').map(Number),
    edges,
    rounds: Number(str(values.rounds) ?? 5),
    varnishParams: (str(values['varnish-param']) ?? '')
      .split(',')
      .filter((p) => p.includes('='))
      .map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as const),
    ...(json === undefined ? {} : { json: resolve(json) }),
  };
}

const r1 = (v: number): number => Math.round(v * 10) / 10;
const r2 = (v: number): number => Math.round(v * 100) / 100;

function viewerRow(v: ViewersResult, origins: BenchCluster['origins']) {
  const renditions = Object.fromEntries(
    Object.entries(v.originRequests.renditions).map(([name, r]) => [name, { parts: r.parts, blockingPerPart: r2(r.blockingPerPart), partPerPart: r2(r.partPerPart), allPerPart: r2(r.allPerPart), maxPerBlockingUrl: r.maxPerBlockingUrl, maxPerPartUrl: r.maxPerPartUrl, byKind: r.byKind }]),
  );
  const statuses: Record<string, number> = {};
  let requests = 0;
  for (const k of Object.values(v.report.kinds)) {
    requests += k?.count ?? 0;
    for (const [code, n] of Object.entries(k?.statuses ?? {})) statuses[code] = (statuses[code] ?? 0) + n;
  }
  const hop = (h: ViewersResult['hop']['blocking']) => ({ p50: r1(h.ms.p50), p95: r1(h.ms.p95), p99: r1(h.ms.p99), max: r1(h.ms.max), pairs: h.pairs, parkedAtEdge: h.parkedAtEdge, unpaired: h.unpaired });
  return {
    edge: v.edge,
    viewers: v.viewers,
    joined: v.report.viewers.joined,
    seconds: v.seconds,
    requests,
    statuses,
    cacheHitRatio: Math.round(v.cacheHitRatio * 1000) / 1000,
    continuityErrors: v.report.continuity.errors,
    firstContinuityErrors: v.report.continuity.first.slice(0, 3),
    blockingLatencyMs: { p50: r1(v.report.kinds.blocking?.latencyMs.p50 ?? NaN), p99: r1(v.report.kinds.blocking?.latencyMs.p99 ?? NaN) },
    hintedPartDelayMs: { p50: r1(v.report.partDelayMs.hinted.p50), p99: r1(v.report.partDelayMs.hinted.p99) },
    listedPartsFetched: v.report.partDelayMs.listed.count,
    hintedPartsFetched: v.report.partDelayMs.hinted.count,
    loadgen: { cpuPercentOfCore: v.loadgen.cpuPercent, eventLoopDelayMs: { p50: r1(v.loadgen.loopDelayMs.p50), p99: r1(v.loadgen.loopDelayMs.p99), max: r1(v.loadgen.loopDelayMs.max) }, loadAverage: r2(v.loadgen.loadAverage) },
    edgeHopMs: { blocking: hop(v.hop.blocking), hintedPart: hop(v.hop.hintedPart) },
    originRequests: { total: v.originRequests.total, other: v.originRequests.other, byOrigin: Object.fromEntries(Object.entries(v.originRequests.byOrigin).map(([addr, n]) => [origins.find((o) => addr.endsWith(`:${o.http}`))?.id ?? addr, n])), statuses: v.originRequests.statuses, renditions },
    reference: { requests: Object.values(v.reference.kinds).reduce((n, k) => n + (k?.count ?? 0), 0), blockingP50Ms: r1(v.reference.kinds.blocking?.latencyMs.p50 ?? NaN), continuityErrors: v.reference.continuity.errors },
  };
}

function parkedRow(p: ParkedResult) {
  const statuses: Record<string, number> = {};
  for (const r of p.rounds) for (const [k, n] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + n;
  return {
    edge: p.edge,
    parked: p.n,
    rounds: p.rounds.length,
    connectMs: Math.round(p.connectMs),
    releaseSpreadMs: { median: r1(p.spreadMedianMs), max: r1(p.spreadMaxMs), perRound: p.rounds.map((r) => r1(r.spreadMs)) },
    perRequestMs: { p50: r1(p.p50MedianMs), p95: r1(p.p95MedianMs) },
    firstAnswerMs: r1(p.firstMedianMs),
    parkWindowMs: p.rounds.map((r) => Math.round(r.parkWindowMs)),
    listing: p.rounds.map((r) => r.listing),
    statuses,
    ...(p.error === undefined ? {} : { error: p.error }),
  };
}

function viewersTable(rows: ReadonlyArray<ReturnType<typeof viewerRow>>): string {
  const lines = [
    '| edge | viewers × s | requests | statuses | cache hit ratio | continuity errors | origin req/part/rendition: blocking, part, all (video; audio) | max origin req per URL (blocking/part) | edge hop after the part appears, blocking p50 / p99 ms | hinted part p50 / p99 ms | hinted part delay from PDT p50 / p99 ms |',
    '|---|---:|---:|---|---:|---:|---|---|---:|---:|---:|',
  ];
  for (const r of rows) {
    const rend = Object.entries(r.originRequests.renditions)
      .sort(([a], [b]) => (a === 'video' ? -1 : b === 'video' ? 1 : a.localeCompare(b)))
      .map(([name, x]) => `${name} ${x.blockingPerPart}, ${x.partPerPart}, ${x.allPerPart} (${x.parts} parts)`)
      .join('; ');
    const max = Object.values(r.originRequests.renditions).map((x) => `${x.maxPerBlockingUrl}/${x.maxPerPartUrl}`).join('; ');
    lines.push(
      `| ${r.edge} | ${r.joined}/${r.viewers} × ${r.seconds} | ${r.requests} | ${Object.entries(r.statuses).map(([c, n]) => `${c === '0' ? 'error' : c}×${n}`).join(' ')} | ${r.cacheHitRatio} | ${r.continuityErrors} | ${rend} | ${max} | ${r.edgeHopMs.blocking.p50} / ${r.edgeHopMs.blocking.p99} | ${r.edgeHopMs.hintedPart.p50} / ${r.edgeHopMs.hintedPart.p99} | ${r.hintedPartDelayMs.p50} / ${r.hintedPartDelayMs.p99} |`,
    );
  }
  return lines.join('\n');
}

function parkedTable(rows: ReadonlyArray<ReturnType<typeof parkedRow>>): string {
  const lines = ['| edge | parked | rounds | release spread median / max ms | per-request p50 / p95 ms | first answer ms | statuses | listing the part |', '|---|---:|---:|---:|---:|---:|---|---|'];
  for (const r of rows)
    lines.push(
      `| ${r.edge} | ${r.parked} | ${r.rounds} | ${r.releaseSpreadMs.median} / ${r.releaseSpreadMs.max} | ${r.perRequestMs.p50} / ${r.perRequestMs.p95} | ${r.firstAnswerMs} | ${Object.entries(r.statuses).map(([c, n]) => `${c}×${n}`).join(' ')} | ${r.listing.join(', ')}${'error' in r ? ` (${r.error})` : ''} |`,
    );
  return lines.join('\n');
}

/** Varnish counters worth a look after a measurement (differences over it). */
const VARNISH_COUNTERS = ['MAIN.backend_req', 'MAIN.cache_hit', 'MAIN.cache_miss', 'MAIN.cache_hitmiss', 'MAIN.cache_hitpass', 'MAIN.busy_sleep', 'MAIN.busy_wakeup', 'MAIN.busy_killed', 'MAIN.sess_conn', 'MAIN.sess_dropped', 'MAIN.sess_queued', 'MAIN.req_dropped', 'MAIN.sess_fail', 'MAIN.threads_created', 'MAIN.threads_limited', 'MAIN.threads_failed'];
const VARNISH_GAUGES = ['MAIN.threads', 'MAIN.thread_queue_len'];

function counterDelta(before: Record<string, number>, after: Record<string, number>, origins: BenchCluster['origins']): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of VARNISH_COUNTERS) if (k in after) out[k.slice(5)] = after[k]! - (before[k] ?? 0);
  for (const k of VARNISH_GAUGES) if (k in after) out[k.slice(5)] = after[k]!;
  // Backend requests per origin (VBE.<vcl>.tc_origin_<i>.req; tc_origin_<i> is origins[i]).
  for (const [k, v] of Object.entries(after)) {
    const m = /^VBE\.[^.]+\.tc_origin_(\d+)\.req$/.exec(k);
    if (m !== null) out[`req to ${origins[Number(m[1])]?.id ?? m[1]}`] = (out[`req to ${origins[Number(m[1])]?.id ?? m[1]}`] ?? 0) + v - (before[k] ?? 0);
  }
  return out;
}

export async function runClusterBench(options: ClusterBenchOptions, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<ClusterBenchSummary> {
  const limit = openFileLimit();
  const most = Math.max(0, ...options.parked);
  if (most + 256 > limit) throw new Error(`bench/cluster: ${most} parked connections need ulimit -n above ${most + 256} (it is ${limit}); raise it in this shell first`);
  const loadAverageAtStart = loadavg().map(r2);
  log('cluster: starting redis-server, 2 origins, HAProxy, Varnish, nginx…');
  const cluster: BenchCluster = await startClusterInProcess();
  const key = 'bench';
  const publisher = publishThroughHaproxy(cluster.rtmpPort, key);
  const summary: { viewers: ViewersResult[]; parked: ParkedResult[]; varnishCounters: Record<string, Record<string, number>> } = { viewers: [], parked: [], varnishCounters: {} };
  let owner = '';
  try {
    const stream = await waitForStream(cluster, key);
    owner = stream.owner;
    log(`cluster: pids ${JSON.stringify(cluster.pids())}; live/${key} owned by ${owner}`);
    for (const [param, value] of options.varnishParams) {
      await varnishParam(cluster.varnishName, param, value);
      log(`cluster: varnish param.set ${param} ${value}`);
    }
    const originBase = `http://127.0.0.1:${stream.ownerHttp}`;
    for (const edge of options.edges) {
      const port = edge === 'varnish' ? cluster.varnishPort : edge === 'nginx' ? cluster.nginxPort : stream.ownerHttp;
      const counter = edge === 'varnish' ? varnishCounter(cluster.varnishName) : nginxCounter(cluster.nginxAccessLog);
      if (options.viewers > 0 && edge !== 'origin') {
        log(`cluster: ${options.viewers} viewers through ${edge} for ${options.seconds} s…`);
        const before = edge === 'varnish' ? await varnishStats(cluster.varnishName) : {};
        const result = await viewersPhase({ edge, edgeBase: `http://127.0.0.1:${port}`, originBase, key, viewers: options.viewers, seconds: options.seconds, rampSeconds: Math.min(5, options.seconds / 4), counter });
        summary.viewers.push(result);
        if (edge === 'varnish') summary.varnishCounters[`viewers ${options.viewers}`] = counterDelta(before, await varnishStats(cluster.varnishName), cluster.origins);
        await new Promise((r) => setTimeout(r, 1000));
      }
      for (const n of options.parked) {
        log(`cluster: ${n} parked requests through ${edge}, ${options.rounds} rounds…`);
        const before = edge === 'varnish' ? await varnishStats(cluster.varnishName) : {};
        summary.parked.push(await parkedPhase({ edge, edgePort: port, originPort: stream.ownerHttp, key, n, rounds: options.rounds, ahead: n > 3000 ? 10 : 3 }));
        if (edge === 'varnish') summary.varnishCounters[`parked ${n}`] = counterDelta(before, await varnishStats(cluster.varnishName), cluster.origins);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  } catch (error) {
    log(`cluster: failed; the cluster's last lines:\n${cluster.tail().split('\n').slice(-40).join('\n')}\nffmpeg: ${publisher.stderr()}`);
    throw error;
  } finally {
    await publisher.stop();
    await cluster.stop();
  }
  const viewers = summary.viewers.map((x) => viewerRow(x, cluster.origins));
  const parked = summary.parked.map(parkedRow);
  const bounds: ClusterBenchSummary['bounds'] = {};
  const v = viewers.find((r) => r.edge === 'varnish');
  if (v !== undefined) {
    const perPart = Math.max(...Object.values(v.originRequests.renditions).flatMap((x) => [x.blockingPerPart, x.partPerPart]));
    bounds['varnish origin requests per part per rendition (blocking reloads, parts), max ≤ 2'] = { value: perPart, bound: 2, met: perPart <= 2 };
    bounds['varnish edge hop p50 ≤ 20 ms (blocking reloads)'] = { value: v.edgeHopMs.blocking.p50, bound: 20, met: v.edgeHopMs.blocking.p50 <= 20 };
    bounds['varnish edge hop p99 ≤ 100 ms (blocking reloads)'] = { value: v.edgeHopMs.blocking.p99, bound: 100, met: v.edgeHopMs.blocking.p99 <= 100 };
  }
  for (const p of parked.filter((x) => x.parked === 2000)) bounds[`${p.edge}: 2 000 parked released within 20 ms (median spread)`] = { value: p.releaseSpreadMs.median, bound: 20, met: p.releaseSpreadMs.median <= 20 };
  return {
    machine: { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadAverageAtStart, loadAverageAtEnd: loadavg().map(r2) },
    options,
    owner,
    viewers,
    parked,
    varnishCounters: summary.varnishCounters,
    bounds,
  };
}

export function renderClusterSummary(s: ClusterBenchSummary): string {
  return [
    `node ${s.machine.node}, ${s.machine.cpu}, ${s.machine.cores} cores, load average ${s.machine.loadAverageAtStart.join(' ')} → ${s.machine.loadAverageAtEnd.join(' ')}; stream owned by ${s.owner}; one edge at a time`,
    ...(s.viewers.length > 0
      ? [
          '',
          `LL-HLS viewers through each edge (one reference viewer at the owner origin):`,
          viewersTable(s.viewers),
          ...s.viewers.map(
            (v) =>
              `  ${v.edge}: parts fetched at the live edge (hinted) ${v.hintedPartsFetched}, behind it (listed, catching up) ${v.listedPartsFetched}; load generator ${v.loadgen.cpuPercentOfCore} % of a core, event-loop delay p50 ${v.loadgen.eventLoopDelayMs.p50} / p99 ${v.loadgen.eventLoopDelayMs.p99} / max ${v.loadgen.eventLoopDelayMs.max} ms, load average ${v.loadgen.loadAverage}; origin requests by origin ${JSON.stringify(v.originRequests.byOrigin)}; edge hop pairs ${v.edgeHopMs.blocking.pairs} (${v.edgeHopMs.blocking.parkedAtEdge} parked at the edge, ${v.edgeHopMs.blocking.unpaired} without a parked reference)`,
          ),
        ]
      : []),
    ...(s.parked.length > 0 ? ['', 'Parked blocking requests through each edge, released by one part (spread: last answer − the reference parked at the owner):', parkedTable(s.parked)] : []),
    '',
    'Varnish counters over each measurement:',
    ...Object.entries(s.varnishCounters).map(([k, c]) => `  ${k}: ${Object.entries(c).map(([n, x]) => `${n}=${x}`).join(' ')}`),
    '',
    'Done-when bounds:',
    ...Object.entries(s.bounds).map(([k, b]) => `  ${b.met ? 'met' : 'NOT met'}: ${k} — ${b.value}`),
  ].join('\n');
}

/** `npm run bench -- cluster [options]` (bench/main.ts) and `npx tsx bench/cluster.ts [options]`. */
export async function clusterBenchMain(args: readonly string[]): Promise<void> {
  const options = parseClusterArgs(args);
  const summary = await runClusterBench(options);
  console.log(renderClusterSummary(summary));
  const json = JSON.stringify(summary, null, 2);
  console.log(`\nJSON summary:\n${json}`);
  if (options.json !== undefined) writeFileSync(options.json, `${json}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await clusterBenchMain(process.argv.slice(2));
}
