import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtmpClient } from '../../src/rtmp/index.js';
import {
  OTHER_ADDRESS,
  floodWithoutReading,
  followPlaylist,
  gaps,
  holdPartialMessages,
  publishAs,
  publishWithoutKeyframes,
  takeHttpSlots,
  takeRtmpSlots,
} from '../helpers/attacks.js';
import { ffmpegPath, fixturePath, spawnFfmpeg, type FfmpegRun } from '../helpers/ffmpeg.js';
import { getText, waitUntil } from '../helpers/live.js';
import { alive, delay, killByPid, spawnTool, type ToolResult, withTimeout } from '../helpers/process.js';

/*
 * Issue 15, Done when 2: the seven cases against the built command (`node dist/cli/main.js`) with
 * its default limits, an honest ffmpeg publisher on live/ref throughout, and the server's RSS read
 * from /proc/<pid>/status. docs/limits.md ("Memory under attack") states the bound asserted here:
 * the peak stays within the RSS before the attacks plus maxTotalPendingBytes (128 MiB) plus
 * RSS_SLACK. Then the process is watched for 90 s (end grace 10 s + retention 60 s: every
 * end-of-stream path runs) and must still serve, and exit 0 on SIGTERM.
 *
 * About 2.5 minutes, so it runs once in .ci/run (TIDECAST_HOSTILE_FULL=1), not in every npm test.
 */

const RUN = process.env['TIDECAST_HOSTILE_FULL'] === '1';
const ffmpeg = await ffmpegPath();
const root = fileURLToPath(new URL('../../', import.meta.url));
const MIB = 1024 * 1024;
/** Defaults of the command (src/cli/server-config.ts), which this test does not change. */
const MAX_TOTAL_PENDING_BYTES = 128 * MIB;
const RTMP_PER_ADDRESS = 32;
const HTTP_PER_ADDRESS = 1000;
const NO_STREAM_TIMEOUT_MS = 10_000;
/** Headroom above the pending budget: V8 heap growth, socket buffers of ~1 000 connections, GC timing. */
const RSS_SLACK = 96 * MIB;
const WATCH_MS = 90_000;

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]) * 1024;
}


describe.runIf(RUN && ffmpeg !== undefined)('hostile clients against the built CLI (node dist/cli/main.js), RSS from /proc', () => {
  let server: { child: ReturnType<typeof spawnTool>['child']; done: Promise<ToolResult> };
  const lines: string[] = [];
  let rtmpPort = 0;
  let httpPort = 0;
  let honest: FfmpegRun;
  let peakRss = 0;
  let sampler: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    // The built command must be the source under test.
    execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
    server = spawnTool(process.execPath, ['dist/cli/main.js', '--host', '127.0.0.1', '--rtmp-port', '0', '--http-port', '0'], { timeoutMs: 600_000, cwd: root });
    let partial = '';
    server.child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      const all = partial + text;
      const split = all.split('\n');
      partial = split.pop()!;
      lines.push(...split);
    });
    await waitUntil(() => lines.some((l) => l.includes('"msg":"listening"')), 20_000, 'the CLI listening');
    const listening = JSON.parse(lines.find((l) => l.includes('"msg":"listening"'))!) as { rtmpPort: number; httpPort: number };
    ({ rtmpPort, httpPort } = listening);
    honest = await spawnFfmpeg(['-v', 'error', '-re', '-stream_loop', '-1', '-i', fixturePath('media/h264-aac.flv'), '-t', '600', '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${rtmpPort}/live/ref`], { timeoutMs: 600_000 });
    await waitUntil(async () => (await getText(`http://127.0.0.1:${httpPort}/live/ref/video/index.m3u8`))?.includes('.m4s') === true, 20_000, 'ref video playlist');
  });

  afterAll(async () => {
    clearInterval(sampler);
    if (honest !== undefined) killByPid(honest.child);
    if (server !== undefined) killByPid(server.child);
  });

  it('the seven attacks at the defaults: each refused or closed with its code, RSS within the documented bound, 90 s alive, the honest HLS intact, exit 0 on SIGTERM', { timeout: 300_000 }, async () => {
    const pid = server.child.pid!;
    const follower = followPlaylist(`http://127.0.0.1:${httpPort}/live/ref/video/index.m3u8`);
    await delay(4000);
    const baselineRss = rssBytes(pid);
    sampler = setInterval(() => (peakRss = Math.max(peakRss, rssBytes(pid))), 100);

    // 1–3: names outside the rule, with no media and with sequence headers only (the crash case).
    for (const [app, key] of [['live', 'a b'], ['live', 'team+1'], ['live', '../../etc/passwd'], ['', 'key'], ['live', 'ref/video'], ['live/ref', 'video']] as const) {
      for (const media of ['none', 'headers'] as const) expect((await publishAs(rtmpPort, app, key, media)).status?.code, `${app}/${key}`).toBe('NetStream.Publish.BadName');
    }
    const team = await spawnFfmpeg(['-v', 'error', '-i', fixturePath('media/h264-aac.flv'), '-t', '3', '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${rtmpPort}/live/team+1`], { timeoutMs: 20_000 });
    expect((await team.done).code).not.toBe(0);
    // 4: 30 MB of FCPublish, never reading.
    const flood = await floodWithoutReading(rtmpPort, 30 * MIB, NO_STREAM_TIMEOUT_MS + 5000);
    expect(flood.closedByServer).toBe(true);
    // 5: 64 sessions (64 addresses) declaring 2 × 8 MiB each.
    const partials = await holdPartialMessages(rtmpPort, 64, 2, 8 * MIB);
    await delay(1000);
    const partialsClosed = partials.closedByServer;
    expect(partialsClosed).toBeGreaterThan(0);
    // 6: no keyframe, 60 s of media at 10× real time against the 30 s default.
    const nokey = await publishWithoutKeyframes(rtmpPort, 'nokey', 60, 10);
    expect(nokey.status?.code).toBe('NetStream.Failed');
    expect(nokey.mediaSecondsSent).toBeLessThan(32);
    // 7: 40 RTMP sessions from one address that only ping; a publisher from another still gets in.
    const slots = takeRtmpSlots(rtmpPort, RTMP_PER_ADDRESS + 8, NO_STREAM_TIMEOUT_MS + 2000);
    await delay(1000);
    const second = await RtmpClient.connect(`rtmp://127.0.0.1:${rtmpPort}/live`);
    await withTimeout(second.publish('second'), 5000, 'a publish from 127.0.0.1');
    await second.close();
    const http = await takeHttpSlots(httpPort, HTTP_PER_ADDRESS + 10, 1000);
    expect((await fetch(`http://127.0.0.1:${httpPort}/api/streams`)).status).toBe(200);
    http.close();
    expect(http.closedAtOnce).toBe(10);
    const rtmp = await slots;
    rtmp.close();
    partials.close();
    expect(rtmp.accepted).toBe(RTMP_PER_ADDRESS);
    expect(rtmp.openAfterHold).toBe(0);
    const attackedPeak = peakRss;

    await delay(WATCH_MS);
    clearInterval(sampler);
    expect(alive(pid)).toBe(true);
    expect((await fetch(`http://127.0.0.1:${httpPort}/api/streams`)).status).toBe(200);
    const seen = await follower.stop();
    const log = lines.join('\n');
    console.log(
      `CLI under attack: RSS ${(baselineRss / MIB).toFixed(1)} MiB before, peak ${(attackedPeak / MIB).toFixed(1)} MiB during the attacks (+${((attackedPeak - baselineRss) / MIB).toFixed(1)} MiB), ` +
        `${(peakRss / MIB).toFixed(1)} MiB over the 90 s watch; flood ${flood.bytesWritten} B closed after ${flood.closedAfterMs} ms; ` +
        `partial-message sessions closed by the server ${partialsClosed}/64; honest viewer segments ${seen.msns[0]}–${seen.msns.at(-1)}`,
    );
    const codes = new Map<string, number>();
    for (const m of log.matchAll(/"code":"(ERR_[A-Z_]+)"/g)) codes.set(m[1]!, (codes.get(m[1]!) ?? 0) + 1);
    console.log(`log lines by code: ${JSON.stringify(Object.fromEntries(codes))}; first refusal: ${lines.find((l) => l.includes('refused: bad stream name'))}`);
    expect(peakRss - baselineRss).toBeLessThanOrEqual(MAX_TOTAL_PENDING_BYTES + RSS_SLACK);
    expect(seen.failures).toEqual([]);
    expect(seen.discontinuities).toBe(0);
    expect(gaps(seen.msns)).toEqual([]);
    // What an operator reads in the log: one line per refusal and per limit, with its code.
    const messages = lines.filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages.some((m) => m.startsWith('publish "live/team+1" refused: bad stream name: stream key "team+1" has a character outside'))).toBe(true);
    expect(log).toContain('ERR_MEDIA_KEYFRAME_OVERDUE');
    expect(log).toContain('ERR_RTMP_TOO_MANY_CONNECTIONS_FROM_ADDRESS');
    expect(log).toContain('ERR_RTMP_NO_STREAM_TIMEOUT');
    expect(log).toContain('ERR_RTMP_PENDING_BUDGET');
    expect(log).not.toMatch(/uncaught|unhandled/i);
    expect(OTHER_ADDRESS).toBe('127.0.0.2');

    process.kill(pid, 'SIGTERM');
    const result = await withTimeout(server.done, 15_000, 'the CLI to exit after SIGTERM');
    expect(result.code).toBe(0);
    expect(lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
    expect(lines.some((l) => l.includes('shutdown failed'))).toBe(false);
  });
});
