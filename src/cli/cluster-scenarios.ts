import { appendFileSync } from 'node:fs';
import type { LocalCluster, LocalOrigin } from './cluster-local.js';
import {
  APP,
  check,
  claimant,
  clusterView,
  liveEdgeNow,
  mediaPaths,
  mediaSequenceCheck,
  newPartFigures,
  noPlaylist404Check,
  playlistAt,
  result,
  sleepMs,
  startStream,
  statusCounts,
  viewerFigures,
  waitFor,
  type Check,
  type ClusterView,
  type Figure,
  type ScenarioResult,
  type ScenarioStream,
} from './cluster-scenario-kit.js';
import { ScenarioPublisher, scenarioFfmpeg } from './cluster-scenario-publisher.js';

export { scenarioTable } from './cluster-scenario-kit.js';
export type { Check, ScenarioResult } from './cluster-scenario-kit.js';

/**
 * The scripted faults of issue 14 (docs/cluster.md "Faults"), each run against a LocalCluster
 * (cluster-local.ts) with viewers through both edges throughout (cluster-scenario-viewers.ts) and a
 * real-time ffmpeg publisher through HAProxy, restarted whenever it exits
 * (cluster-scenario-publisher.ts). Each returns its figures and checks, prints progress lines, and
 * leaves the cluster as it found it (a killed origin started again, a frozen process continued, a
 * disabled HAProxy server enabled), so one cluster runs all four in a row:
 *
 * - origin-kill: SIGKILL of the stream's owner; the restarted publisher lands on the other origin.
 * - origin-freeze: SIGSTOP of the owner for 20 s; the publisher gives up on its stalled connection
 *   and lands on the other origin; never two owners; the stale origin steps back after SIGCONT.
 * - redis-outage: SIGSTOP of redis-server for 60 s; no viewer error; a new publish is accepted
 *   during it and visible cluster-wide within one refresh after Redis returns.
 * - publisher-move: a planned move (the owner's HAProxy server in maint, the publisher restarted):
 *   continuity of the playlists, one DISCONTINUITY, no number reused.
 */

export const SCENARIOS = ['origin-kill', 'origin-freeze', 'redis-outage', 'publisher-move'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioOptions {
  /** Progress lines (default: console.log with a `[scenario]` prefix). */
  readonly log?: (line: string) => void;
  /** Viewers per edge (default 5). */
  readonly viewersPerEdge?: number;
  /** How long redis-server stays stopped (default 60 s; 300 in the long suite). */
  readonly redisOutageSeconds?: number;
  /** How long the owner stays stopped in origin-freeze (default 20 s). */
  readonly freezeSeconds?: number;
  /** The origins' registry refresh period (TIDECAST_CLUSTER_REFRESH_MS; default 2000): "one refresh". */
  readonly refreshMs?: number;
  /** New parts must reach every viewer within this after the fault (default 6000 ms). */
  readonly newPartsWithinMs?: number;
  /** ffmpeg (default: found as the project finds it). */
  readonly ffmpeg?: string;
  /** The stream key (default: one per scenario, e.g. fault-origin-kill). */
  readonly key?: string;
  /**
   * The path the viewers play (default `/live/<key>/index.m3u8`): a ladder job's multivariant
   * playlist, to run a job's stream through a scenario.
   */
  readonly playPath?: string;
  /**
   * publisher-move: more checks once the publisher is on the new origin (a ladder job's renditions
   * back at the same URLs); their results join the scenario's.
   */
  readonly afterMove?: (context: { cluster: LocalCluster; key: string; from: LocalOrigin; to: LocalOrigin }) => Promise<readonly Check[]>;
  /** Writes every viewer request (time, viewer, status, path) there as JSON lines, for a closer look. */
  readonly traceFile?: string;
}

interface Resolved {
  readonly log: (line: string) => void;
  readonly perEdge: number;
  readonly ffmpeg: string;
  readonly refreshMs: number;
  readonly newPartsWithinMs: number;
  readonly options: ScenarioOptions;
}

export async function runScenario(cluster: LocalCluster, name: ScenarioName, options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const o: Resolved = {
    log: options.log ?? ((line) => console.log(`[scenario] ${line}`)),
    perEdge: options.viewersPerEdge ?? 5,
    ffmpeg: options.ffmpeg ?? (await scenarioFfmpeg()),
    refreshMs: options.refreshMs ?? 2000,
    newPartsWithinMs: options.newPartsWithinMs ?? 6000,
    options,
  };
  const key = options.key ?? `fault-${name}`;
  o.log(`${name}: starting (stream ${APP}/${key})`);
  const run = { 'origin-kill': originKill, 'origin-freeze': originFreeze, 'redis-outage': redisOutage, 'publisher-move': publisherMove }[name];
  const outcome = await run(cluster, key, o);
  o.log(`${name}: ${outcome.ok ? 'every check held' : `${outcome.failed.length} check(s) failed`} (${outcome.durationSeconds} s)`);
  return outcome;
}

const streamOptions = (o: Resolved): { ffmpeg: string; perEdge: number; log: (line: string) => void; playPath?: string } => ({ ffmpeg: o.ffmpeg, perEdge: o.perEdge, log: o.log, ...(o.options.playPath === undefined ? {} : { playPath: o.options.playPath }) });

async function stopStream(stream: ScenarioStream, o: Resolved): Promise<void> {
  await Promise.all([stream.publisher.stop(), stream.viewers.stop()]);
  if (o.options.traceFile !== undefined) appendFileSync(o.options.traceFile, stream.viewers.requests.map((r) => `${JSON.stringify({ key: stream.key, ...r })}\n`).join(''));
}

/** Waits until both origins list each other's heartbeat (after a restart or a freeze). */
async function clusterWhole(cluster: LocalCluster): Promise<void> {
  await waitFor('both origins seeing each other', 30_000, async () => {
    const views = await Promise.all(cluster.origins.map((x) => clusterView(x)));
    return views.every((v) => v !== undefined && v.health === 'ok' && cluster.origins.every((x) => v.origins.some((y) => y.id === x.id))) ? true : undefined;
  }, 250);
}

/** The publisher's (re)starts after `sinceMs`: "+ms → url" each. */
function restarts(publisher: ScenarioPublisher, sinceMs: number): string {
  return publisher.starts.filter((s) => s.atMs >= sinceMs).map((s) => `+${s.atMs - sinceMs} ms`).join(', ');
}

async function originKill(cluster: LocalCluster, key: string, o: Resolved): Promise<ScenarioResult> {
  const startedAt = Date.now();
  const stream = await startStream(cluster, key, streamOptions(o));
  const { owner, other, viewers } = stream;
  const name = `${APP}/${key}`;
  const figures: Record<string, Figure> = { owner: owner.id };
  const checks: Check[] = [];
  try {
    const before = await liveEdgeNow(stream, owner);
    const child = cluster.processes.get(owner.id)!;
    child.kill('SIGKILL');
    const killedAt = Date.now();
    o.log(`origin-kill: SIGKILL ${owner.id} (pid ${child.pid}); live edge ${[...before.values()].join('/')}`);
    const taken = await waitFor(`${name} claimed by ${other.id}`, 20_000, async () => ((await clusterView(other))?.claims.some((c) => c.key === name) ? Date.now() : undefined), 100).catch(() => undefined);
    figures['newOwner'] = taken === undefined ? null : other.id;
    figures['claimedByOtherAfterKillMs'] = taken === undefined ? null : taken - killedAt;
    figures['publisherStarts'] = restarts(stream.publisher, killedAt);
    await waitFor('new parts at every viewer', 15_000, () => (newPartFigures(stream, before, killedAt, 'x').missing.length === 0 ? true : undefined), 200).catch(() => undefined);
    await sleepMs(3000);
    const endedAt = Date.now();
    const parts = newPartFigures(stream, before, killedAt, 'newPartsAfterKill');
    Object.assign(figures, parts.figures, viewerFigures(stream, killedAt, endedAt));
    figures['failedRequestsAfterKill'] = statusCounts(viewers.errors(killedAt, endedAt));
    checks.push(check('the publisher lands on the other origin', taken !== undefined, taken === undefined ? `${other.id} never claimed ${name}` : `${other.id} claimed it ${taken - killedAt} ms after the kill`));
    checks.push(check(`viewers see new parts ≤ ${o.newPartsWithinMs / 1000} s after the kill`, parts.worstMs <= o.newPartsWithinMs, parts.missing.length > 0 ? `never: ${parts.missing.slice(0, 4).join(', ')}` : `worst ${parts.worstMs} ms`));
    checks.push(mediaSequenceCheck(stream));
    checks.push(noPlaylist404Check(stream, viewers.startedAtMs, endedAt, killedAt));
  } finally {
    await stopStream(stream, o);
    o.log(`origin-kill: starting ${owner.id} again`);
    await cluster.restartOrigin(owner.id);
    await clusterWhole(cluster);
  }
  return result('origin-kill', key, startedAt, figures, checks);
}

interface ClaimSample {
  readonly origin: string;
  readonly sentAtMs: number;
  readonly answeredAtMs: number;
  /** The epoch this origin claims the stream at, or undefined when its claims do not hold it. */
  readonly epoch: number | undefined;
}

/**
 * Asks every origin's GET /api/cluster every `everyMs` (1 s timeout: a frozen origin does not
 * answer, and that counts as not serving); keeps each answer's claim of `name`.
 */
function watchClaims(cluster: LocalCluster, name: string, everyMs = 150): { samples: ClaimSample[]; stop: () => Promise<void> } {
  const samples: ClaimSample[] = [];
  const pending = new Set<Promise<void>>();
  const timer = setInterval(() => {
    const sentAtMs = Date.now();
    for (const origin of cluster.origins) {
      const asked = clusterView(origin, 1000).then((view?: ClusterView) => {
        if (view !== undefined) samples.push({ origin: origin.id, sentAtMs, answeredAtMs: Date.now(), epoch: view.claims.find((c) => c.key === name)?.epoch });
      });
      pending.add(asked);
      void asked.finally(() => pending.delete(asked));
    }
  }, everyMs);
  return {
    samples,
    stop: async () => {
      clearInterval(timer);
      await Promise.all(pending);
    },
  };
}

/**
 * Two owners at one moment: an answer claiming the stream at an epoch older than one another
 * origin had already answered with (fencing: once epoch e exists, nobody serves an older one).
 */
function twoOwners(samples: readonly ClaimSample[]): string[] {
  const sorted = [...samples].sort((a, b) => a.answeredAtMs - b.answeredAtMs);
  const newest = new Map<string, { epoch: number; atMs: number }>();
  const out: string[] = [];
  for (const s of sorted) {
    if (s.epoch === undefined) continue;
    for (const [origin, seen] of newest) {
      if (origin !== s.origin && seen.epoch > s.epoch) out.push(`${s.origin} answered as owner (epoch ${s.epoch}) at ${new Date(s.answeredAtMs).toISOString()}, ${s.answeredAtMs - seen.atMs} ms after ${origin} claimed epoch ${seen.epoch}`);
    }
    const mine = newest.get(s.origin);
    if (mine === undefined || s.epoch > mine.epoch) newest.set(s.origin, { epoch: s.epoch, atMs: s.answeredAtMs });
  }
  return out;
}

async function originFreeze(cluster: LocalCluster, key: string, o: Resolved): Promise<ScenarioResult> {
  const startedAt = Date.now();
  const freezeMs = (o.options.freezeSeconds ?? 20) * 1000;
  const stream = await startStream(cluster, key, streamOptions(o));
  const { owner, other, viewers } = stream;
  const name = `${APP}/${key}`;
  const figures: Record<string, Figure> = { owner: owner.id, freezeSeconds: freezeMs / 1000 };
  const checks: Check[] = [];
  const child = cluster.processes.get(owner.id)!;
  const watch = watchClaims(cluster, name);
  let continued = false;
  try {
    await sleepMs(500);
    const before = await liveEdgeNow(stream, owner);
    child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    // The encoder gives up on its connection at once. Left to notice by itself it would not within
    // the freeze: the fixture's 34 kB/s fits 20 s in the loopback sockets' buffers, so ffmpeg never
    // blocks (an encoder at a few Mbit/s stalls in seconds). Its next connections may land on the
    // frozen origin again (HAProxy's connect checks still pass): those stall, and the watchdog ends them.
    stream.publisher.kill('given up at the freeze');
    o.log(`origin-freeze: SIGSTOP ${owner.id} (pid ${child.pid}) for ${freezeMs / 1000} s; the publisher restarted`);
    const taken = await waitFor(`${name} claimed by ${other.id}`, freezeMs - 1000, async () => ((await clusterView(other))?.claims.some((c) => c.key === name) ? Date.now() : undefined), 100).catch(() => undefined);
    figures['claimedByOtherAfterStopMs'] = taken === undefined ? null : taken - stoppedAt;
    figures['publisherStalledConnections'] = stream.publisher.exits.filter((e) => e.atMs >= stoppedAt && e.reason === 'stalled').length;
    await sleepMs(stoppedAt + freezeMs - Date.now());
    const parts = newPartFigures(stream, before, stoppedAt, 'newPartsAfterStop');
    child.kill('SIGCONT');
    continued = true;
    const contAt = Date.now();
    figures['publisherStarts'] = restarts(stream.publisher, stoppedAt);
    o.log(`origin-freeze: SIGCONT ${owner.id}`);
    // The stale origin steps back: its claim goes, and its answers for the stream come from the new owner.
    const released = await waitFor(`${owner.id} dropping its claim`, 15_000, async () => {
      const view = await clusterView(owner);
      return view !== undefined && !view.claims.some((c) => c.key === name) ? Date.now() : undefined;
    }, 100).catch(() => undefined);
    figures['staleClaimGoneAfterContMs'] = released === undefined ? null : released - contAt;
    let forwarded: { ok: boolean; detail: string } = { ok: false, detail: 'not asked' };
    for (let attempt = 0; attempt < 3 && !forwarded.ok; attempt++) {
      const path = stream.renditions[0]!;
      const fromOwner = await playlistAt(other, path);
      const fromStale = await playlistAt(owner, path);
      const edge = before.get(path) ?? Number.POSITIVE_INFINITY;
      forwarded = {
        ok: fromStale?.status === 200 && fromOwner?.mediaSequence !== undefined && fromStale.mediaSequence !== undefined && fromStale.mediaSequence >= fromOwner.mediaSequence && (fromStale.lastMsn ?? -1) > edge,
        detail: `${path} at ${owner.id}: ${JSON.stringify(fromStale)}; at ${other.id} just before: ${JSON.stringify(fromOwner)}; last segment before the freeze ${edge}`,
      };
      if (!forwarded.ok) await sleepMs(500);
    }
    await sleepMs(3000);
    const endedAt = Date.now();
    await watch.stop();
    const after = newPartFigures(stream, before, contAt, 'newPartsAfterCont');
    const violations = twoOwners(watch.samples);
    Object.assign(figures, parts.figures, viewerFigures(stream, stoppedAt, endedAt));
    figures['claimSamples'] = watch.samples.length;
    figures['twoOwnerSamples'] = violations.length;
    figures['failedRequestsDuringFreeze'] = statusCounts(viewers.errors(stoppedAt, contAt));
    figures['failedRequestsAfterCont'] = statusCounts(viewers.errors(contAt, endedAt));
    checks.push(check('the publisher lands on the other origin', taken !== undefined, taken === undefined ? `${other.id} never claimed ${name} during the freeze` : `${other.id} claimed it ${taken - stoppedAt} ms after SIGSTOP`));
    checks.push(check('no two owners at any moment', violations.length === 0, violations.length === 0 ? `${watch.samples.length} answers of /api/cluster` : violations.slice(0, 3).join('; ')));
    checks.push(check('the stale origin drops its claim after SIGCONT', released !== undefined, released === undefined ? `${owner.id} still claims ${name} 15 s after SIGCONT` : `${released - contAt} ms after SIGCONT`));
    checks.push(check("the stale origin forwards to the new owner (its playlist has the new owner's media sequence)", forwarded.ok, forwarded.detail));
    checks.push(check('viewers continue (new parts during the freeze and after SIGCONT)', parts.missing.length === 0 && after.missing.length === 0, `during: worst ${parts.worstMs} ms after SIGSTOP${parts.missing.length > 0 ? `, never: ${parts.missing.slice(0, 3).join(', ')}` : ''}; after SIGCONT: ${after.missing.length > 0 ? `never: ${after.missing.slice(0, 3).join(', ')}` : 'all'}`));
    checks.push(mediaSequenceCheck(stream));
  } finally {
    if (!continued) child.kill('SIGCONT');
    await watch.stop();
    await stopStream(stream, o);
    await clusterWhole(cluster);
  }
  return result('origin-freeze', key, startedAt, figures, checks);
}

async function redisOutage(cluster: LocalCluster, key: string, o: Resolved): Promise<ScenarioResult> {
  const startedAt = Date.now();
  const outageMs = (o.options.redisOutageSeconds ?? 60) * 1000;
  const stream = await startStream(cluster, key, streamOptions(o));
  const { viewers } = stream;
  const redis = cluster.processes.get('redis')!;
  const newKey = `${key}-new`;
  const newName = `${APP}/${newKey}`;
  const figures: Record<string, Figure> = { owner: stream.owner.id, outageSeconds: outageMs / 1000 };
  const checks: Check[] = [];
  let second: ScenarioPublisher | undefined;
  let continued = false;
  try {
    const before = await liveEdgeNow(stream, stream.owner);
    redis.kill('SIGSTOP');
    const stoppedAt = Date.now();
    o.log(`redis-outage: SIGSTOP redis-server (pid ${redis.pid}) for ${outageMs / 1000} s`);
    const degraded = await waitFor('both origins degraded', 15_000, async () => ((await Promise.all(cluster.origins.map((x) => clusterView(x)))).every((v) => v?.health === 'degraded') ? Date.now() : undefined), 200).catch(() => undefined);
    figures['degradedAfterMs'] = degraded === undefined ? null : degraded - stoppedAt;
    // A new publish during the outage, through HAProxy.
    const publishedAt = Date.now();
    second = new ScenarioPublisher({ ffmpeg: o.ffmpeg, url: () => `rtmp://127.0.0.1:${cluster.rtmpPort}/${newName}`, log: o.log }).start();
    const accepted = await waitFor(`${newName} accepted during the outage`, 20_000, async () => {
      const at = await claimant(cluster, newName);
      if (at === undefined) return undefined;
      const paths = await mediaPaths(at, newKey);
      const served = paths[0] === undefined ? undefined : await playlistAt(at, paths[0]);
      return served?.status === 200 && served.lastMsn !== undefined ? { at, path: paths[0]!, atMs: Date.now() } : undefined;
    }, 200).catch(() => undefined);
    figures['newPublishOwner'] = accepted?.at.id ?? null;
    figures['newPublishServedAfterMs'] = accepted === undefined ? null : accepted.atMs - publishedAt;
    const elsewhere = accepted === undefined ? undefined : cluster.origins.find((x) => x !== accepted.at)!;
    if (elsewhere !== undefined && accepted !== undefined) {
      const view = await clusterView(elsewhere);
      figures['newPublishKnownElsewhereDuringOutage'] = view?.streams.some((s) => s.key === newName) ?? null;
      figures['newPublishElsewhereDuringOutageStatus'] = (await playlistAt(elsewhere, accepted.path))?.status ?? null;
    }
    await sleepMs(stoppedAt + outageMs - Date.now());
    redis.kill('SIGCONT');
    continued = true;
    const contAt = Date.now();
    o.log('redis-outage: SIGCONT redis-server');
    let visibleAt: number | undefined;
    let servedAt: number | undefined;
    if (elsewhere !== undefined && accepted !== undefined) {
      await waitFor(`${newName} visible at ${elsewhere.id} and forwarded`, 20_000, async () => {
        if (visibleAt === undefined && (await clusterView(elsewhere))?.streams.some((s) => s.key === newName && s.owner === accepted.at.id)) visibleAt = Date.now();
        if (servedAt === undefined && (await playlistAt(elsewhere, accepted.path))?.status === 200) servedAt = Date.now();
        return visibleAt !== undefined && servedAt !== undefined ? true : undefined;
      }, 50).catch(() => undefined);
    }
    figures['newPublishVisibleAfterContMs'] = visibleAt === undefined ? null : visibleAt - contAt;
    figures['newPublishForwardedAfterContMs'] = servedAt === undefined ? null : servedAt - contAt;
    const healthy = await waitFor('both origins healthy again', 15_000, async () => ((await Promise.all(cluster.origins.map((x) => clusterView(x)))).every((v) => v?.health === 'ok') ? Date.now() : undefined), 200).catch(() => undefined);
    figures['healthyAfterContMs'] = healthy === undefined ? null : healthy - contAt;
    await sleepMs(3000);
    const endedAt = Date.now();
    const owners = await Promise.all(cluster.origins.map((x) => clusterView(x)));
    const stillOwned = owners.every((v) => v?.streams.some((s) => s.key === `${APP}/${key}` && s.owner === stream.owner.id));
    const parts = newPartFigures(stream, before, contAt, 'newPartsAfterCont');
    Object.assign(figures, viewerFigures(stream, viewers.startedAtMs, endedAt));
    const errors = viewers.errors(viewers.startedAtMs, endedAt);
    figures['viewerErrors'] = errors.length;
    checks.push(check('0 viewer errors throughout', errors.length === 0, errors.length === 0 ? `${viewers.requests.length} requests` : `${statusCounts(errors)}: ${errors.slice(0, 3).map((r) => `${r.viewer} ${r.url} ${r.status} at +${r.atMs - stoppedAt} ms`).join('; ')}`));
    checks.push(check('a new publish during the outage is accepted', accepted !== undefined, accepted === undefined ? `${newName} not claimed and served within 20 s` : `${accepted.at.id} served it ${accepted.atMs - publishedAt} ms after the publish`));
    checks.push(check(`it is visible cluster-wide ≤ one refresh (${o.refreshMs} ms) after Redis returns`, visibleAt !== undefined && visibleAt - contAt <= o.refreshMs, visibleAt === undefined ? `${elsewhere?.id ?? 'the other origin'} never listed it` : `listed ${visibleAt - contAt} ms after SIGCONT`));
    checks.push(check('the other origin forwards it after Redis returns', servedAt !== undefined, servedAt === undefined ? 'its playlist never answered 200 there' : `200 ${servedAt - contAt} ms after SIGCONT`));
    checks.push(check('the existing stream keeps its owner and its viewers new parts', stillOwned && parts.missing.length === 0, `owner ${stream.owner.id} everywhere: ${stillOwned}; new parts after SIGCONT: ${parts.missing.length === 0 ? 'all viewers' : `never: ${parts.missing.slice(0, 3).join(', ')}`}`));
    checks.push(mediaSequenceCheck(stream));
  } finally {
    if (!continued) redis.kill('SIGCONT');
    await Promise.all([second?.stop(), stopStream(stream, o)]);
    await clusterWhole(cluster);
  }
  return result('redis-outage', key, startedAt, figures, checks);
}

async function publisherMove(cluster: LocalCluster, key: string, o: Resolved): Promise<ScenarioResult> {
  const startedAt = Date.now();
  const stream = await startStream(cluster, key, streamOptions(o));
  const { owner, other, viewers } = stream;
  const name = `${APP}/${key}`;
  const server = `tc_rtmp_origins/origin${cluster.origins.indexOf(owner)}`;
  const figures: Record<string, Figure> = { owner: owner.id, how: `HAProxy server ${server} set to maint, the publisher stopped and restarted through HAProxy` };
  const checks: Check[] = [];
  let disabled = false;
  try {
    const epochBefore = (await clusterView(owner))?.claims.find((c) => c.key === name)?.epoch;
    await cluster.haproxyCommand(`set server ${server} state maint`);
    disabled = true;
    const before = await liveEdgeNow(stream, owner);
    const movedAt = Date.now();
    stream.publisher.kill('moved', 'SIGTERM');
    o.log(`publisher-move: ${server} in maint; publisher stopped (live edge ${[...before.values()].join('/')})`);
    const taken = await waitFor(`${name} claimed by ${other.id}`, 15_000, async () => ((await clusterView(other))?.claims.find((c) => c.key === name) ? Date.now() : undefined), 100).catch(() => undefined);
    const epochAfter = (await clusterView(other))?.claims.find((c) => c.key === name)?.epoch;
    figures['claimedByOtherAfterMs'] = taken === undefined ? null : taken - movedAt;
    figures['epochs'] = `${epochBefore ?? '?'} → ${epochAfter ?? '?'}`;
    await waitFor('new parts at every viewer', 15_000, () => (newPartFigures(stream, before, movedAt, 'x').missing.length === 0 ? true : undefined), 200).catch(() => undefined);
    await sleepMs(4000);
    const endedAt = Date.now();
    const parts = newPartFigures(stream, before, movedAt, 'newPartsAfterMove');
    Object.assign(figures, parts.figures, viewerFigures(stream, movedAt, endedAt));
    figures['failedRequestsAfterMove'] = statusCounts(viewers.errors(movedAt, endedAt));
    const tracks = [...viewers.tracks.values()];
    const discontinuities = tracks.map((t) => ({ t, n: [...t.discontinuities.keys()].filter((msn) => msn > (before.get(t.rendition) ?? Number.POSITIVE_INFINITY)).length }));
    const wrong = discontinuities.filter((d) => d.n !== 1);
    const reused = tracks.flatMap((t) => t.reused.map((r) => `${t.viewer} ${t.rendition} ${r}`));
    figures['newDiscontinuitiesPerViewer'] = [...new Set(discontinuities.map((d) => d.n))].sort().join(',');
    checks.push(check('the publisher lands on the other origin under a newer epoch', taken !== undefined && epochAfter !== undefined && epochBefore !== undefined && epochAfter > epochBefore, `${other.id} ${taken === undefined ? 'never claimed it' : `claimed it ${taken - movedAt} ms after the stop`}, epochs ${figures['epochs']}`));
    checks.push(mediaSequenceCheck(stream));
    checks.push(check('one DISCONTINUITY per viewer at the move', wrong.length === 0, wrong.length === 0 ? `${tracks.length} viewer renditions` : wrong.slice(0, 4).map((d) => `${d.t.viewer} ${d.t.rendition}: ${d.n}`).join('; ')));
    checks.push(check('no media sequence number reused', reused.length === 0, reused.length === 0 ? `${tracks.reduce((n, t) => n + t.segments.size, 0)} numbers seen` : reused.slice(0, 3).join('; ')));
    checks.push(noPlaylist404Check(stream, viewers.startedAtMs, endedAt, movedAt));
    checks.push(check(`viewers see new parts ≤ ${o.newPartsWithinMs / 1000} s after the stop`, parts.worstMs <= o.newPartsWithinMs, parts.missing.length > 0 ? `never: ${parts.missing.slice(0, 4).join(', ')}` : `worst ${parts.worstMs} ms`));
    if (o.options.afterMove !== undefined) checks.push(...(await o.options.afterMove({ cluster, key, from: owner, to: other })));
  } finally {
    if (disabled) await cluster.haproxyCommand(`set server ${server} state ready`);
    await stopStream(stream, o);
  }
  return result('publisher-move', key, startedAt, figures, checks);
}
