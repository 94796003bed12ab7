import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from '../../src/cli/cluster-local.js';
import { SCENARIOS, runScenario, scenarioTable, type ScenarioName, type ScenarioResult } from '../../src/cli/cluster-scenarios.js';
import { ffmpegPath } from '../helpers/ffmpeg.js';
import { findOnPath } from '../helpers/process.js';

/*
 * Issue 14, Done-when 2: the scripted faults, with viewers through both edges throughout
 * (src/cli/cluster-scenarios.ts, docs/cluster.md "Faults"). One local cluster (redis-server, two
 * `tidecast serve` origins, HAProxy, a Varnish and an nginx edge: src/cli/cluster-local.ts) runs
 * the four scenarios in a row; each leaves it whole for the next (a killed origin is started again,
 * a stopped process continued, a server in maint made ready). Each scenario publishes its own
 * stream with ffmpeg through HAProxy (restarted whenever it exits, as an encoder reconnects) and
 * plays it with 5 virtual LL-HLS viewers per edge; the test asserts every check of its result and
 * prints its figures. Redis is stopped 60 s and the owner frozen 20 s: about 3 minutes in all.
 *
 * `TIDECAST_CLUSTER=1 npx vitest run test/integration/cluster-faults.test.ts` (.ci/run runs the
 * TIDECAST_CLUSTER tests). `tidecast cluster demo --scenario <name>` runs one from the CLI.
 */

const ffmpeg = await ffmpegPath();
const root = new URL('../../', import.meta.url).pathname;
const missing = ['redis-server', 'haproxy', 'varnishd', 'nginx'].filter((name) => findOnPath(name) === undefined && !existsSync(`/usr/sbin/${name}`));
const skipReason = process.env['TIDECAST_CLUSTER'] !== '1' ? 'TIDECAST_CLUSTER=1 runs it (.ci/run)' : ffmpeg === undefined ? 'no ffmpeg' : missing.length > 0 ? `missing ${missing.join(', ')} (.ci/run installs them)` : undefined;

/** The long suite stops Redis 300 s (TIDECAST_REDIS_OUTAGE_SECONDS=300). */
const redisOutageSeconds = Number(process.env['TIDECAST_REDIS_OUTAGE_SECONDS'] ?? 60);
let cluster: LocalCluster | undefined;
const exits: string[] = [];

beforeAll(async () => {
  if (skipReason !== undefined) return;
  cluster = await startLocalCluster({
    rtmpPort: 0,
    varnishPort: 0,
    nginxPort: 0,
    originCommand: [process.execPath, '--import', 'tsx', `${root}src/cli/main.ts`],
    onExit: (name, code, signal) => exits.push(`${name} ${signal ?? `exit ${code}`}`),
  });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

async function run(name: ScenarioName): Promise<ScenarioResult> {
  const outcome = await runScenario(cluster!, name, { ffmpeg: ffmpeg!, redisOutageSeconds, log: (line) => console.log(`[${name}] ${line}`) });
  console.log(`${scenarioTable(outcome)}\n${JSON.stringify({ msg: 'cluster scenario result', ...outcome })}`);
  return outcome;
}

describe.skipIf(skipReason !== undefined)(`cluster faults through the edges${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
  for (const name of SCENARIOS) {
    it(name, { timeout: (name === 'redis-outage' ? redisOutageSeconds : 20) * 1000 + 120_000 }, async () => {
      const outcome = await run(name);
      expect(outcome.failed).toEqual([]);
      expect(outcome.ok).toBe(true);
    });
  }

  it('ended no process but the ones the scenarios ended', () => {
    // origin-kill's SIGKILL of the owner is the only exit a scenario causes.
    expect(exits.filter((e) => !/^origin-[ab] SIGKILL$/.test(e))).toEqual([]);
  });
});
