import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { viewersPhase, type ViewersResult } from '../../bench/cluster-phases.js';
import { publishThroughHaproxy, startClusterChild, varnishCounter, waitForStream, type BenchCluster } from '../../bench/cluster-run.js';
import { ffmpegPath } from '../helpers/ffmpeg.js';
import { findOnPath } from '../helpers/process.js';

/*
 * Issue 14, Done-when 1, CI-sized: the whole local cluster (`tidecast cluster demo`, i.e.
 * startLocalCluster: redis-server, two origins, HAProxy, Varnish and nginx edges), ffmpeg
 * publishing the fixture through HAProxy in real time, and VIEWERS virtual LL-HLS viewers
 * (src/cli/loadgen.ts, as hls.js) through the Varnish edge for SECONDS, with one reference viewer
 * at the owner origin. Origin requests are counted at the edge (`varnishncsa -b`). Asserted: every
 * answer 200, no continuity error, at most 2 origin requests per part per rendition for the
 * blocking reloads and for the parts (and for any one of their URLs). The edge hop is logged, not
 * asserted (a shared 2-core machine); bench/cluster.ts measures it at 200 viewers for 60 s.
 *
 *   TIDECAST_CLUSTER=1 npx vitest run test/cluster/edge-collapse.test.ts   (about 35 s)
 */

const VIEWERS = 50;
const SECONDS = 15;
const KEY = 'collapse';

const ffmpeg = await ffmpegPath();
const missing = ['redis-server', 'haproxy', 'varnishd', 'varnishncsa', 'nginx'].filter((name) => findOnPath(name) === undefined && !existsSync(`/usr/sbin/${name}`) && !existsSync(`/usr/bin/${name}`));
const skip = process.env['TIDECAST_CLUSTER'] !== '1' ? 'TIDECAST_CLUSTER=1 runs it' : ffmpeg === undefined ? 'no ffmpeg' : missing.length > 0 ? `missing ${missing.join(', ')} (.ci/run installs them)` : undefined;

let cluster: BenchCluster | undefined;
let publisher: ReturnType<typeof publishThroughHaproxy> | undefined;

afterAll(async () => {
  await publisher?.stop();
  await cluster?.stop();
});

describe.skipIf(skip !== undefined)(`LL-HLS viewers through the cluster's Varnish edge${skip === undefined ? '' : ` (skipped: ${skip})`}`, () => {
  it(`${VIEWERS} viewers for ${SECONDS} s: at most 2 origin requests per part per rendition, every answer 200, no continuity error`, { timeout: 60_000 }, async () => {
    cluster = await startClusterChild();
    publisher = publishThroughHaproxy(cluster.rtmpPort, KEY);
    const stream = await waitForStream(cluster, KEY);
    let result: ViewersResult;
    try {
      result = await viewersPhase({
        edge: 'varnish',
        edgeBase: `http://127.0.0.1:${cluster.varnishPort}`,
        originBase: `http://127.0.0.1:${stream.ownerHttp}`,
        key: KEY,
        viewers: VIEWERS,
        seconds: SECONDS,
        rampSeconds: 3,
        counter: varnishCounter(cluster.varnishName),
      });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${cluster.tail()}`);
    }
    const { report, originRequests, hop } = result;
    const statuses: Record<string, number> = {};
    for (const k of Object.values(report.kinds)) for (const [code, n] of Object.entries(k?.statuses ?? {})) statuses[code] = (statuses[code] ?? 0) + n;
    const renditions = Object.entries(originRequests.renditions).map(([name, r]) => ({ name, parts: r.parts, blockingPerPart: r.blockingPerPart, partPerPart: r.partPerPart, allPerPart: r.allPerPart, maxPerBlockingUrl: r.maxPerBlockingUrl, maxPerPartUrl: r.maxPerPartUrl }));
    console.log(
      `edge collapse, ${VIEWERS} viewers × ${SECONDS} s through Varnish (owner ${stream.owner}): statuses ${JSON.stringify(statuses)}, cache hit ratio ${result.cacheHitRatio.toFixed(3)}, ` +
        `continuity errors ${report.continuity.errors}; origin requests ${originRequests.total}: ${JSON.stringify(renditions)}; ` +
        `edge hop blocking p50 ${hop.blocking.ms.p50.toFixed(1)} / p99 ${hop.blocking.ms.p99.toFixed(1)} ms (${hop.blocking.pairs} pairs), hinted part p50 ${hop.hintedPart.ms.p50.toFixed(1)} / p99 ${hop.hintedPart.ms.p99.toFixed(1)} ms`,
    );
    expect(report.viewers.joined).toBe(VIEWERS);
    expect(Object.keys(statuses)).toEqual(['200']);
    expect(report.continuity.first).toEqual([]);
    expect(renditions.map((r) => r.name).sort()).toEqual(['audio', 'video']);
    for (const r of renditions) {
      // About 5 parts a second per rendition appeared while the viewers ran.
      expect(r.parts, `${r.name} parts seen`).toBeGreaterThan(SECONDS * 5 * 0.6);
      expect(r.blockingPerPart, `${r.name}: origin blocking reloads per part`).toBeLessThanOrEqual(2);
      expect(r.partPerPart, `${r.name}: origin part requests per part`).toBeLessThanOrEqual(2);
      expect(r.maxPerBlockingUrl, `${r.name}: origin requests for one blocking reload URL`).toBeLessThanOrEqual(2);
      expect(r.maxPerPartUrl, `${r.name}: origin requests for one part`).toBeLessThanOrEqual(2);
    }
    expect(hop.blocking.pairs).toBeGreaterThan(0);
  });
});
