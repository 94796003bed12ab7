import { loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { runLoadgen, type LoadgenReport } from '../src/cli/loadgen.js';
import { comparePositions, lastPartPosition, nextPartPosition, parseMediaPlaylist, type MediaPlaylist, type PartPosition } from '../src/cli/loadgen-playlist.js';
import { latencyFigures, type LatencyFigures } from '../src/cli/loadgen-stats.js';
import type { AnswerTiming } from '../src/cli/loadgen-viewer.js';
import { classify, sleep, type OriginKind, type OriginRequest, type OriginRequestCounter } from './cluster-run.js';
import { RawClients, epochMs, median, percentile, type Answer } from './ll-hls.bench.js';

/**
 * The two measurements of bench/cluster.ts (issue 14, Done-when 1 and 3), each against one edge of
 * a running cluster:
 *
 * - viewersPhase: N virtual LL-HLS viewers through the edge (src/cli/loadgen.ts) and, beside them,
 *   one reference viewer asking the stream's OWNER origin directly with the same requests. The
 *   reference's blocking reload (or hinted part) is answered when the part appears at the origin
 *   (+ about a millisecond), so for every viewer answer to the same URL:
 *   edge hop = viewer's last byte − max(reference's last byte, viewer's send).
 *   The edge's origin requests (counter) divided by the parts the reference saw per rendition give
 *   "origin requests per part per rendition".
 * - parkedPhase: N keep-alive connections to the edge (bench/ll-hls.bench.ts's RawClients) all
 *   asking for the same part a few parts ahead, plus one reference connection to the owner asking
 *   the same; release spread = the edge's last answer − the reference's answer.
 */

/** A reference answer counts as "the part appeared" only if it waited at least this long (it was parked, not answered at once). */
const REFERENCE_PARKED_MS = 10;

export interface HopFigures {
  /** Pairs (viewer answer, reference answer for the same URL) used. */
  readonly pairs: number;
  /** Of them, viewer requests sent before the part appeared (parked at the edge). */
  readonly parkedAtEdge: number;
  /** Viewer answers with no usable reference (the reference skipped the URL, or was not parked). */
  readonly unpaired: number;
  readonly ms: LatencyFigures;
}

export interface OriginRequestFigures {
  readonly engine: string;
  readonly total: number;
  /** Per rendition: parts the reference saw appear, origin requests by kind, and per part. */
  readonly renditions: Record<string, { parts: number; byKind: Partial<Record<OriginKind, number>>; blockingPerPart: number; partPerPart: number; allPerPart: number; maxPerBlockingUrl: number; maxPerPartUrl: number }>;
  /** Requests without a rendition (multivariant playlist, other). */
  readonly other: number;
  /** Origin (host:port) → requests, when the edge logs it. */
  readonly byOrigin: Record<string, number>;
  readonly statuses: Record<string, number>;
}

export interface ViewersResult {
  readonly edge: string;
  readonly viewers: number;
  readonly seconds: number;
  readonly report: LoadgenReport;
  readonly reference: LoadgenReport;
  readonly hop: { readonly blocking: HopFigures; readonly hintedPart: HopFigures };
  readonly originRequests: OriginRequestFigures;
  /** Cache hits ÷ (hits + misses) over the viewers' answers that carried a verdict. */
  readonly cacheHitRatio: number;
  /** This process (the viewers and the reference): CPU in % of one core, event-loop delay; the 1-minute load average at the end. */
  readonly loadgen: { readonly cpuPercent: number; readonly loopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number }; readonly loadAverage: number };
}

interface Timing {
  readonly sentAt: number;
  readonly lastByteAt: number;
}

const pathAndQuery = (url: string): string => {
  const u = new URL(url);
  return u.pathname + u.search;
};

export async function viewersPhase(o: {
  edge: string;
  edgeBase: string;
  originBase: string;
  key: string;
  viewers: number;
  seconds: number;
  rampSeconds: number;
  counter: OriginRequestCounter;
}): Promise<ViewersResult> {
  const path = `/live/${o.key}/index.m3u8`;
  const reference = new Map<string, Timing>();
  const referenceParts = new Map<string, Set<string>>();
  const edgeAnswers: Array<{ key: string; kind: 'blocking' | 'hinted-part' } & Timing> = [];
  const onReference = (a: AnswerTiming): void => {
    if (a.status !== 200) return;
    const key = pathAndQuery(a.url);
    if (a.kind === 'blocking' || a.kind === 'hinted-part') reference.set(key, { sentAt: a.sentAt, lastByteAt: a.lastByteAt });
    if (a.kind === 'hinted-part' || a.kind === 'part') {
      const { rendition } = classify(key);
      if (rendition !== undefined) {
        const set = referenceParts.get(rendition) ?? new Set<string>();
        set.add(key);
        referenceParts.set(rendition, set);
      }
    }
  };
  const onEdge = (a: AnswerTiming): void => {
    if (a.status === 200 && (a.kind === 'blocking' || a.kind === 'hinted-part')) edgeAnswers.push({ key: pathAndQuery(a.url), kind: a.kind, sentAt: a.sentAt, lastByteAt: a.lastByteAt });
  };
  await o.counter.start();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const [report, ref] = await Promise.all([
    runLoadgen({ url: `${o.edgeBase}${path}`, viewers: o.viewers, durationSeconds: o.seconds, rampSeconds: o.rampSeconds, publishers: 0, onAnswer: onEdge }),
    runLoadgen({ url: `${o.originBase}${path}`, viewers: 1, durationSeconds: o.seconds, rampSeconds: 0, publishers: 0, onAnswer: onReference }),
  ]);
  loop.disable();
  const used = process.cpuUsage(cpu);
  const loadgen = {
    cpuPercent: Math.round(((used.user + used.system) / 1000 / (performance.now() - t0)) * 1000) / 10,
    loopDelayMs: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
    loadAverage: loadavg()[0]!,
  };
  const requests = await o.counter.stop();
  const hop = (kind: 'blocking' | 'hinted-part'): HopFigures => {
    const values: number[] = [];
    let parked = 0;
    let unpaired = 0;
    for (const e of edgeAnswers) {
      if (e.kind !== kind) continue;
      const r = reference.get(e.key);
      if (r === undefined || r.lastByteAt - r.sentAt < REFERENCE_PARKED_MS) {
        unpaired++;
        continue;
      }
      if (e.sentAt < r.lastByteAt) parked++;
      values.push(e.lastByteAt - Math.max(r.lastByteAt, e.sentAt));
    }
    return { pairs: values.length, parkedAtEdge: parked, unpaired, ms: latencyFigures(values) };
  };
  let hits = 0;
  let misses = 0;
  for (const k of Object.values(report.kinds)) {
    hits += k?.cache.hits ?? 0;
    misses += k?.cache.misses ?? 0;
  }
  return {
    edge: o.edge,
    viewers: o.viewers,
    seconds: o.seconds,
    report,
    reference: ref,
    hop: { blocking: hop('blocking'), hintedPart: hop('hinted-part') },
    originRequests: originFigures(o.counter.engine, requests, referenceParts),
    cacheHitRatio: hits + misses === 0 ? Number.NaN : hits / (hits + misses),
    loadgen,
  };
}

export function originFigures(engine: string, requests: readonly OriginRequest[], referenceParts: ReadonlyMap<string, ReadonlySet<string>>): OriginRequestFigures {
  const renditions: OriginRequestFigures['renditions'] = {};
  const perUrl = new Map<string, number>();
  const byOrigin: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  let other = 0;
  const byRendition = new Map<string, Partial<Record<OriginKind, number>>>();
  for (const r of requests) {
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.origin !== undefined) byOrigin[r.origin] = (byOrigin[r.origin] ?? 0) + 1;
    // The cache key's URL: the edge forwards the viewers' query, which here is the directives only.
    perUrl.set(r.url, (perUrl.get(r.url) ?? 0) + 1);
    const { rendition, kind } = classify(r.url);
    if (rendition === undefined) {
      other++;
      continue;
    }
    const counts = byRendition.get(rendition) ?? {};
    counts[kind] = (counts[kind] ?? 0) + 1;
    byRendition.set(rendition, counts);
  }
  for (const [rendition, byKind] of byRendition) {
    const parts = referenceParts.get(rendition)?.size ?? 0;
    const all = Object.values(byKind).reduce((a, b) => a + (b ?? 0), 0);
    const maxOf = (kind: OriginKind): number => Math.max(0, ...[...perUrl].filter(([u]) => classify(u).rendition === rendition && classify(u).kind === kind).map(([, n]) => n));
    renditions[rendition] = {
      parts,
      byKind,
      blockingPerPart: (byKind.blocking ?? 0) / parts,
      partPerPart: (byKind.part ?? 0) / parts,
      allPerPart: all / parts,
      maxPerBlockingUrl: maxOf('blocking'),
      maxPerPartUrl: maxOf('part'),
    };
  }
  return { engine, total: requests.length, renditions, other, byOrigin, statuses };
}

export interface ParkedRound {
  readonly target: PartPosition;
  /** Reference answer (owner origin) − requests written: how long the N had to park. */
  readonly parkWindowMs: number;
  /** Edge answers: last − reference, first byte of the first − reference, p50 / p95 of (each − reference). */
  readonly spreadMs: number;
  readonly firstMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly statuses: Record<string, number>;
  /** 200 answers whose playlist lists the part asked for. */
  readonly listing: number;
}

export interface ParkedResult {
  readonly edge: string;
  readonly n: number;
  readonly connectMs: number;
  readonly rounds: ParkedRound[];
  readonly spreadMedianMs: number;
  readonly spreadMaxMs: number;
  readonly p50MedianMs: number;
  readonly p95MedianMs: number;
  readonly firstMedianMs: number;
  readonly error?: string;
}

/** Parts per closed segment, the fewest listed (the looped fixture's GOPs vary by a frame); 10 when none is listed with its parts. */
function fewestParts(playlist: MediaPlaylist): number {
  const closed = playlist.segments.filter((s) => s.uri !== undefined && s.parts.length > 0).map((s) => s.parts.length);
  return closed.length === 0 ? 10 : Math.min(...closed);
}

/**
 * `rounds` timed rounds (plus one warm-up round, not counted) of N parked blocking requests through
 * the edge on port `edgePort`, each for the part `ahead` parts past the newest (timed from the
 * moment a part appears at the owner): 3 parts (0.6 s) leave 2 000 requests time to park, 10 000
 * are given 10 parts (2 s).
 */
export async function parkedPhase(o: { edge: string; edgePort: number; originPort: number; key: string; n: number; rounds: number; ahead: number; timeoutMs?: number }): Promise<ParkedResult> {
  const path = `/live/${o.key}/video/index.m3u8`;
  const started = epochMs();
  let clients: RawClients | undefined;
  const ref = await RawClients.open(o.originPort, 1);
  const rounds: ParkedRound[] = [];
  let error: string | undefined;
  try {
    clients = await RawClients.open(o.edgePort, o.n, 250);
    const connectMs = epochMs() - started;
    await sleep(300);
    // The playlist as the owner has it now, then one blocking request at a time until a part appears.
    const first = await (await fetch(`http://127.0.0.1:${o.originPort}${path}`)).text();
    let playlist = parseMediaPlaylist(first);
    for (let i = 0; i < o.rounds + 1; i++) {
      let target: PartPosition | undefined;
      while (target === undefined) {
        const next = nextPartPosition(playlist);
        const [sync] = await ref.request(`${path}?_HLS_msn=${next.msn}&_HLS_part=${next.index}`, 10_000);
        if (sync instanceof Error || sync!.status !== 200) throw new Error(`reference: ${sync instanceof Error ? sync.message : sync!.status}`);
        playlist = parseMediaPlaylist(sync!.body);
        const newest = lastPartPosition(playlist)!;
        const fewest = fewestParts(playlist);
        const index = newest.index + o.ahead;
        // Within the open segment only if it will certainly have that part; else in a later one.
        if (o.ahead < 5 ? index <= fewest - 1 : true) target = { msn: newest.msn + Math.floor(index / fewest), index: index % fewest };
      }
      const url = `${path}?_HLS_msn=${target.msn}&_HLS_part=${target.index}`;
      const sentAt = epochMs();
      const refAnswer = ref.request(url, o.timeoutMs ?? 15_000);
      const edgeAnswers = await clients.request(url, o.timeoutMs ?? 15_000);
      const [r] = await refAnswer;
      if (r instanceof Error || r === undefined || r.status !== 200) throw new Error(`reference answer: ${r instanceof Error ? r.message : r?.status}`);
      playlist = parseMediaPlaylist(r.body);
      const ok = edgeAnswers.filter((a): a is Answer => !(a instanceof Error));
      const delays = ok.map((a) => a.lastByteAt - r.lastByteAt);
      const statuses: Record<string, number> = {};
      for (const a of edgeAnswers) {
        const key = a instanceof Error ? `error: ${a.message}` : String(a.status);
        statuses[key] = (statuses[key] ?? 0) + 1;
      }
      const t = target;
      const listing = ok.filter((a) => {
        if (a.status !== 200) return false;
        const last = lastPartPosition(parseMediaPlaylist(a.body));
        return last !== undefined && comparePositions(last, t) >= 0;
      }).length;
      if (i > 0)
        rounds.push({
          target: t,
          parkWindowMs: r.lastByteAt - sentAt,
          spreadMs: Math.max(...delays),
          firstMs: Math.min(...ok.map((a) => a.firstByteAt)) - r.lastByteAt,
          p50Ms: percentile(delays, 0.5),
          p95Ms: percentile(delays, 0.95),
          statuses,
          listing,
        });
      // The next round starts from a part after this one.
    }
    return {
      edge: o.edge,
      n: o.n,
      connectMs,
      rounds,
      spreadMedianMs: median(rounds.map((r) => r.spreadMs)),
      spreadMaxMs: Math.max(...rounds.map((r) => r.spreadMs)),
      p50MedianMs: median(rounds.map((r) => r.p50Ms)),
      p95MedianMs: median(rounds.map((r) => r.p95Ms)),
      firstMedianMs: median(rounds.map((r) => r.firstMs)),
    };
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    return { edge: o.edge, n: o.n, connectMs: epochMs() - started, rounds, spreadMedianMs: median(rounds.map((r) => r.spreadMs)), spreadMaxMs: Math.max(...rounds.map((r) => r.spreadMs)), p50MedianMs: NaN, p95MedianMs: NaN, firstMedianMs: NaN, error };
  } finally {
    clients?.close();
    ref.close();
  }
}
