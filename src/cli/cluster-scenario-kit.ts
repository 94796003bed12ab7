import http from 'node:http';
import type { LocalCluster, LocalOrigin } from './cluster-local.js';
import { ScenarioPublisher } from './cluster-scenario-publisher.js';
import { ViewerGroup, type ViewerRequest } from './cluster-scenario-viewers.js';
import { lastPartPosition, parseMediaPlaylist, pickRenditions } from './loadgen-playlist.js';

/**
 * What the fault scenarios (cluster-scenarios.ts) share: GETs straight to an origin (its cluster
 * API, a playlist), waiting for a stream to be claimed and served, the stream's publisher and its
 * viewers through both edges started together, the live edge at a moment, and the result's checks
 * and figures.
 */

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export type Figure = number | string | boolean | null;

export interface ScenarioResult {
  readonly scenario: string;
  readonly ok: boolean;
  readonly key: string;
  readonly durationSeconds: number;
  readonly figures: Readonly<Record<string, Figure>>;
  readonly checks: readonly Check[];
  /** The checks that did not hold: "name: detail". */
  readonly failed: readonly string[];
}

/** An origin's GET /api/cluster (src/server/cluster-api.ts), the fields the scenarios read. */
export interface ClusterView {
  readonly originId: string;
  readonly health: 'ok' | 'degraded';
  readonly origins: ReadonlyArray<{ readonly id: string }>;
  readonly streams: ReadonlyArray<{ readonly key: string; readonly owner: string; readonly epoch: number; readonly msn: number }>;
  readonly claims: ReadonlyArray<{ readonly key: string; readonly epoch: number; readonly confirmed: boolean }>;
}

export const APP = 'live';
export const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** GET on 127.0.0.1 without keep-alive: status and body, or undefined when nothing answered in `timeoutMs` (a frozen origin). */
export function getText(port: number, path: string, timeoutMs = 2000): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (text: string) => (body += text));
      response.once('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.once('error', () => resolve(undefined));
    });
    request.once('timeout', () => request.destroy());
    request.once('error', () => resolve(undefined));
  });
}

export async function clusterView(origin: LocalOrigin, timeoutMs = 1000): Promise<ClusterView | undefined> {
  const answer = await getText(origin.http, '/api/cluster', timeoutMs);
  return answer?.status === 200 ? (JSON.parse(answer.body) as ClusterView) : undefined;
}

/** Polls `probe` every `everyMs` until it gives a value; throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, everyMs = 150): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleepMs(everyMs);
  }
}

/** The origin whose claims hold `key` now (asked of every origin; a frozen one does not answer). */
export async function claimant(cluster: LocalCluster, key: string): Promise<LocalOrigin | undefined> {
  const views = await Promise.all(cluster.origins.map((o) => clusterView(o)));
  return cluster.origins.find((_, i) => views[i]?.claims.some((c) => c.key === key));
}

/** The stream's media playlists' paths (from its multivariant playlist at `origin`). */
export async function mediaPaths(origin: LocalOrigin, key: string): Promise<string[]> {
  const base = `http://127.0.0.1:${origin.http}/${APP}/${key}/index.m3u8`;
  const answer = await getText(origin.http, `/${APP}/${key}/index.m3u8`);
  if (answer?.status !== 200) return [];
  return pickRenditions(answer.body, base).uris.map((uri) => new URL(uri, base).pathname);
}

/** A media playlist at `origin`: its status, EXT-X-MEDIA-SEQUENCE and the last part's segment number. */
export async function playlistAt(origin: LocalOrigin, path: string): Promise<{ status: number; mediaSequence?: number; lastMsn?: number } | undefined> {
  const answer = await getText(origin.http, path);
  if (answer === undefined) return undefined;
  if (answer.status !== 200) return { status: answer.status };
  const playlist = parseMediaPlaylist(answer.body);
  const last = lastPartPosition(playlist) ?? (playlist.segments.length > 0 ? { msn: playlist.segments.at(-1)!.msn } : undefined);
  return { status: 200, mediaSequence: playlist.mediaSequence, ...(last === undefined ? {} : { lastMsn: last.msn }) };
}

export interface ScenarioStream {
  readonly key: string;
  readonly publisher: ScenarioPublisher;
  readonly viewers: ViewerGroup;
  /** The origin that claimed the stream at its start, and the other one. */
  readonly owner: LocalOrigin;
  readonly other: LocalOrigin;
  /** Its media playlists' paths. */
  readonly renditions: readonly string[];
}

export interface StreamOptions {
  readonly ffmpeg: string;
  readonly perEdge: number;
  readonly log: (line: string) => void;
  /** Where the publisher publishes (default: HAProxy). */
  readonly publishUrl?: () => string;
  /** The path viewers play (default `/<app>/<key>/index.m3u8`); a ladder job's multivariant playlist. */
  readonly playPath?: string;
  readonly stallMs?: number;
}

/**
 * Publishes `key` through HAProxy, waits until an origin claims it and serves two segments, then
 * starts the viewers through both edges and waits until every one follows the live edge.
 */
export async function startStream(cluster: LocalCluster, key: string, o: StreamOptions): Promise<ScenarioStream> {
  const name = `${APP}/${key}`;
  const publisher = new ScenarioPublisher({ ffmpeg: o.ffmpeg, url: o.publishUrl ?? (() => `rtmp://127.0.0.1:${cluster.rtmpPort}/${name}`), log: o.log, ...(o.stallMs === undefined ? {} : { stallMs: o.stallMs }) }).start();
  let viewers: ViewerGroup | undefined;
  try {
    const owner = await waitFor(`${name} claimed by an origin`, 20_000, () => claimant(cluster, name));
    const other = cluster.origins.find((x) => x !== owner)!;
    const renditions = await waitFor(`${name}'s multivariant playlist at ${owner.id}`, 15_000, async () => {
      const paths = await mediaPaths(owner, key);
      return paths.length > 0 ? paths : undefined;
    });
    await waitFor(`two segments of ${name} at ${owner.id}`, 15_000, async () => {
      const p = await playlistAt(owner, renditions[0]!);
      return p?.lastMsn !== undefined && p.mediaSequence !== undefined && p.lastMsn - p.mediaSequence >= 1 ? true : undefined;
    });
    o.log(`${name}: published through HAProxy, claimed by ${owner.id}; ${o.perEdge} viewers per edge`);
    const play = o.playPath ?? `/${APP}/${key}/index.m3u8`;
    viewers = new ViewerGroup({ edges: { varnish: `http://127.0.0.1:${cluster.varnishPort}${play}`, nginx: `http://127.0.0.1:${cluster.nginxPort}${play}` }, perEdge: o.perEdge });
    const group = viewers;
    await waitFor(`every viewer of ${name} following the live edge`, 20_000, () => (group.everyViewerPlaying() ? true : undefined), 200);
    // A few seconds of steady state before the fault.
    await sleepMs(2000);
    return { key, publisher, viewers, owner, other, renditions };
  } catch (error) {
    await Promise.all([publisher.stop(), viewers?.stop()]);
    throw error;
  }
}

/**
 * Per rendition path, the last segment number listed anywhere now: what the viewers have seen and
 * what `origin` lists (asked right before a fault). A part of a segment numbered above it is new.
 */
export async function liveEdgeNow(stream: ScenarioStream, origin: LocalOrigin): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [rendition, position] of stream.viewers.liveEdges()) out.set(rendition, position.msn);
  for (const path of stream.renditions) {
    const p = await playlistAt(origin, path);
    if (p?.lastMsn !== undefined) out.set(path, Math.max(out.get(path) ?? -1, p.lastMsn));
  }
  return out;
}

/** Nearest-rank p50 and the max of `values` (null when empty). */
export function spread(values: readonly number[]): { p50: number | null; max: number | null } {
  if (values.length === 0) return { p50: null, max: null };
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: sorted[Math.ceil(sorted.length / 2) - 1]!, max: sorted.at(-1)! };
}

/** "502×4 0×1" for the failed requests, by status ("none" when there are none). */
export function statusCounts(requests: readonly ViewerRequest[]): string {
  const counts = new Map<number, number>();
  for (const r of requests) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return counts.size === 0 ? 'none' : [...counts].map(([s, n]) => `${s === 0 ? 'network' : s}×${n}`).join(' ');
}

/**
 * Per edge, how long after `sinceMs` each viewer first listed a part of a segment numbered above
 * the live edge `before`: the figures (p50, max per edge), the tracks that never did, and the
 * largest delay (ms; Infinity when one never did).
 */
export function newPartFigures(stream: ScenarioStream, before: ReadonlyMap<string, number>, sinceMs: number, label: string): { figures: Record<string, Figure>; worstMs: number; missing: string[] } {
  const seen = stream.viewers.firstNewParts(before, sinceMs);
  const figures: Record<string, Figure> = {};
  for (const edge of ['varnish', 'nginx']) {
    const delays = seen.filter((s) => s.track.edge === edge && s.atMs !== undefined).map((s) => s.atMs! - sinceMs);
    const { p50, max } = spread(delays);
    figures[`${label}.${edge}.p50Ms`] = p50;
    figures[`${label}.${edge}.maxMs`] = max;
  }
  const missing = seen.filter((s) => s.atMs === undefined).map((s) => `${s.track.viewer} ${s.track.rendition}`);
  const worstMs = missing.length > 0 ? Number.POSITIVE_INFINITY : Math.max(0, ...seen.map((s) => s.atMs! - sinceMs));
  return { figures, worstMs, missing };
}

/** Every viewer track's media sequence went only forward; the first violations as the detail. */
export function mediaSequenceCheck(stream: ScenarioStream): Check {
  const back = [...stream.viewers.tracks.values()].flatMap((t) => t.mediaSequenceBack.map((b) => `${t.viewer} ${t.rendition}: ${b}`));
  return { name: 'media sequence never decreases per viewer', ok: back.length === 0, detail: back.length === 0 ? `${stream.viewers.tracks.size} viewer renditions` : back.slice(0, 5).join('; ') };
}

/** No playlist answered 404 through the edges from `fromMs` to `toMs`; the detail gives the first ones' times after the fault at `faultMs`. */
export function noPlaylist404Check(stream: ScenarioStream, fromMs: number, toMs: number, faultMs: number): Check {
  const found = stream.viewers.errors(fromMs, toMs, true).filter((r) => r.status === 404);
  const at = (ms: number): string => `${ms >= faultMs ? '+' : ''}${ms - faultMs} ms`;
  return {
    name: 'no 404 on a playlist',
    ok: found.length === 0,
    detail: found.length === 0 ? `${stream.viewers.requests.filter((r) => r.playlist && r.atMs >= fromMs && r.atMs <= toMs).length} playlist answers` : `${found.length}, from ${at(found[0]!.atMs)} to ${at(found.at(-1)!.atMs)} after the fault: ${found.slice(0, 4).map((r) => `${r.viewer} ${r.url} ${at(r.atMs)}`).join('; ')}`,
  };
}

/** The viewers' figures every scenario reports: requests and failures per edge, the load generator's continuity count. */
export function viewerFigures(stream: ScenarioStream, fromMs: number, toMs: number): Record<string, Figure> {
  const figures: Record<string, Figure> = {};
  for (const edge of ['varnish', 'nginx']) {
    const requests = stream.viewers.requests.filter((r) => r.edge === edge && r.atMs >= fromMs && r.atMs <= toMs);
    figures[`viewers.${edge}.requests`] = requests.length;
    figures[`viewers.${edge}.failed`] = statusCounts(requests.filter((r) => r.status === 0 || r.status >= 400));
  }
  const failed = stream.viewers.errors(fromMs, toMs);
  figures['viewers.firstFailures'] = failed.length === 0 ? null : failed.slice(0, 6).map((r) => `+${r.atMs - fromMs} ms ${r.viewer} ${r.status === 0 ? 'network' : r.status} ${r.url}`).join('; ');
  const summary = stream.viewers.summary();
  figures['viewers.loadgenContinuityErrors'] = summary.continuity.errors;
  const endList = [...stream.viewers.tracks.values()].filter((t) => t.endListAtMs !== undefined).length;
  if (endList > 0) figures['viewers.sawEndList'] = endList;
  return figures;
}

export function check(name: string, ok: boolean, detail: string): Check {
  return { name, ok, detail };
}

export function result(scenario: string, key: string, startedAtMs: number, figures: Record<string, Figure>, checks: readonly Check[]): ScenarioResult {
  const failed = checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
  return { scenario, ok: failed.length === 0, key: `${APP}/${key}`, durationSeconds: Math.round((Date.now() - startedAtMs) / 100) / 10, figures, checks, failed };
}

/** A scenario's result for people: its checks (✓/✗ and the detail), then its figures. */
export function scenarioTable(outcome: ScenarioResult): string {
  const width = Math.max(...outcome.checks.map((c) => c.name.length), ...Object.keys(outcome.figures).map((k) => k.length));
  const lines = [`${outcome.scenario} (${outcome.key}, ${outcome.durationSeconds} s): ${outcome.ok ? 'PASS' : 'FAIL'}`];
  for (const c of outcome.checks) lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(width)}  ${c.detail}`);
  for (const [k, v] of Object.entries(outcome.figures)) lines.push(`       ${k.padEnd(width)}  ${v === null ? '-' : String(v)}`);
  return lines.join('\n');
}
