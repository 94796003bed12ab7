/**
 * What the load generator records and how it sums it up: every request's kind, status, latency
 * (send → last byte), bytes and cache verdict; each part's delay after its availability; continuity
 * errors. The summary is JSON (per kind: count, latency percentiles, status counts, cache hits and
 * misses) and a table for people. Percentiles are nearest-rank (the smallest value with at least p
 * of the samples at or below it), so every figure is a latency that was measured.
 */

/**
 * multivariant and playlist: plain GETs; blocking: `?_HLS_msn=M&_HLS_part=P` reloads; hinted-part:
 * the preload-hinted part asked for alongside the reload (held by the server until it exists); part:
 * a listed part; segment: a whole segment (when a part has left the playlist); init: EXT-X-MAP.
 */
export const REQUEST_KINDS = ['multivariant', 'playlist', 'blocking', 'hinted-part', 'part', 'segment', 'init'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export type CacheVerdict = 'hit' | 'miss' | undefined;

export interface RequestRecord {
  readonly kind: RequestKind;
  /** HTTP status; 0 for a network error or a timeout. */
  readonly status: number;
  readonly latencyMs: number;
  readonly bytes: number;
  readonly cache: CacheVerdict;
}

export interface LatencyFigures {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface KindSummary {
  readonly count: number;
  readonly statuses: Readonly<Record<string, number>>;
  /** Of the answers with a status (not network errors). */
  readonly latencyMs: LatencyFigures;
  readonly bytes: number;
  readonly cache: { readonly hits: number; readonly misses: number; readonly unknown: number };
}

export interface LoadSummary {
  readonly url: string;
  readonly durationSeconds: number;
  readonly viewers: { readonly planned: number; readonly joined: number; readonly waiting404: number };
  readonly kinds: Readonly<Partial<Record<RequestKind, KindSummary>>>;
  /**
   * Parts received (200): last byte received − the part's availability (its segment's
   * PROGRAM-DATE-TIME plus the durations up to its end). `hinted`: the preload-hinted parts, the
   * live edge a player stays at; `listed`: parts fetched from the playlist, behind the edge (the
   * start, catching up after an error). Needs the viewers' and the origin's clocks in step.
   */
  readonly partDelayMs: { readonly hinted: LatencyFigures; readonly listed: LatencyFigures };
  readonly continuity: { readonly errors: number; readonly first: readonly string[] };
  /** Answers 404 and 5xx (any kind) and network errors. */
  readonly errors: { readonly notFound: number; readonly serverErrors: number; readonly network: number };
}

/** Nearest-rank percentile of ascending `sorted`; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length))) - 1]!;
}

export function latencyFigures(values: readonly number[]): LatencyFigures {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99), max: sorted.at(-1) ?? Number.NaN };
}

/**
 * A cache's verdict from its headers: Varnish's `X-Cache: HIT|MISS` (our generated VCL), nginx's
 * `X-Cache-Status` ($upstream_cache_status: HIT, STALE, UPDATING, REVALIDATED answer from the cache;
 * MISS, EXPIRED, BYPASS from the origin), else `Age` > 0 (RFC 9111 5.1: only a cache sets it).
 * Undefined when none is there (straight from an origin).
 */
export function cacheVerdict(header: (name: string) => string | null): CacheVerdict {
  const xCache = header('x-cache');
  if (xCache !== null) return /\bHIT\b/i.test(xCache) ? 'hit' : 'miss';
  const status = header('x-cache-status')?.toUpperCase();
  if (status !== undefined) return ['HIT', 'STALE', 'UPDATING', 'REVALIDATED'].includes(status) ? 'hit' : 'miss';
  const age = Number(header('age') ?? Number.NaN);
  return age > 0 ? 'hit' : undefined;
}

/** Continuity errors kept as text for the summary; the rest are only counted. */
const KEPT_CONTINUITY_ERRORS = 20;

/** Collects the records of every viewer of a run. */
export class LoadRecorder {
  readonly records: RequestRecord[] = [];
  /** Delays of the hinted parts (fetched at the live edge), then of the parts fetched as listed (catching up). */
  readonly hintedPartDelays: number[] = [];
  readonly listedPartDelays: number[] = [];
  continuityErrors = 0;
  readonly continuityFirst: string[] = [];
  joined = 0;
  waiting404 = 0;

  request(record: RequestRecord): void {
    this.records.push(record);
  }

  partDelay(ms: number, hinted: boolean): void {
    (hinted ? this.hintedPartDelays : this.listedPartDelays).push(ms);
  }

  continuity(text: string): void {
    this.continuityErrors++;
    if (this.continuityFirst.length < KEPT_CONTINUITY_ERRORS) this.continuityFirst.push(text);
  }

  summary(run: { url: string; durationSeconds: number; viewers: number }): LoadSummary {
    return summarize(this, run);
  }
}

export function summarize(recorder: LoadRecorder, run: { url: string; durationSeconds: number; viewers: number }): LoadSummary {
  const kinds: Partial<Record<RequestKind, KindSummary>> = {};
  for (const kind of REQUEST_KINDS) {
    const of = recorder.records.filter((r) => r.kind === kind);
    if (of.length === 0) continue;
    const statuses: Record<string, number> = {};
    for (const r of of) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    kinds[kind] = {
      count: of.length,
      statuses,
      latencyMs: latencyFigures(of.filter((r) => r.status !== 0).map((r) => r.latencyMs)),
      bytes: of.reduce((sum, r) => sum + r.bytes, 0),
      cache: {
        hits: of.filter((r) => r.cache === 'hit').length,
        misses: of.filter((r) => r.cache === 'miss').length,
        unknown: of.filter((r) => r.cache === undefined).length,
      },
    };
  }
  return {
    url: run.url,
    durationSeconds: run.durationSeconds,
    viewers: { planned: run.viewers, joined: recorder.joined, waiting404: recorder.waiting404 },
    kinds,
    partDelayMs: { hinted: latencyFigures(recorder.hintedPartDelays), listed: latencyFigures(recorder.listedPartDelays) },
    continuity: { errors: recorder.continuityErrors, first: [...recorder.continuityFirst] },
    errors: {
      notFound: recorder.records.filter((r) => r.status === 404).length,
      serverErrors: recorder.records.filter((r) => r.status >= 500).length,
      network: recorder.records.filter((r) => r.status === 0).length,
    },
  };
}

const ms = (v: number): string => (Number.isNaN(v) ? '-' : v.toFixed(1));

/** The summary as a Markdown table (one row per kind) and a few lines under it. */
export function renderSummary(s: LoadSummary): string {
  const header = '| kind | requests | statuses | p50 ms | p95 ms | p99 ms | max ms | MB | cache hit/miss |';
  const rows = REQUEST_KINDS.flatMap((kind) => {
    const k = s.kinds[kind];
    if (k === undefined) return [];
    const statuses = Object.entries(k.statuses).map(([code, n]) => `${code === '0' ? 'error' : code}×${n}`).join(' ');
    const l = k.latencyMs;
    return [`| ${kind} | ${k.count} | ${statuses} | ${ms(l.p50)} | ${ms(l.p95)} | ${ms(l.p99)} | ${ms(l.max)} | ${(k.bytes / 1e6).toFixed(1)} | ${k.cache.hits}/${k.cache.misses} |`];
  });
  const delay = (what: string, d: LatencyFigures): string =>
    `${what} part received after its PROGRAM-DATE-TIME availability: p50 ${ms(d.p50)} ms, p95 ${ms(d.p95)} ms, p99 ${ms(d.p99)} ms, max ${ms(d.max)} ms (${d.count} parts)`;
  return [
    `${s.url}: ${s.viewers.joined}/${s.viewers.planned} viewers joined, ${s.durationSeconds} s`,
    header,
    '|---|---:|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    delay('hinted', s.partDelayMs.hinted),
    delay('listed', s.partDelayMs.listed),
    `continuity errors: ${s.continuity.errors}${s.continuity.first.length > 0 ? ` (first: ${s.continuity.first[0]})` : ''}; 404: ${s.errors.notFound}, 5xx: ${s.errors.serverErrors}, network errors: ${s.errors.network}`,
  ].join('\n');
}
