import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { browserSkipReason, launchChromium, type ChromiumSession } from '../helpers/browser.js';
import { ffmpegPath, fixturePath, spawnFfmpeg, type FfmpegRun } from '../helpers/ffmpeg.js';
import { getText, waitUntil } from '../helpers/live.js';
import { delay, killByPid, spawnTool, type ToolResult } from '../helpers/process.js';

/**
 * Issue 13, Done-when 3: a 5-minute DVR window (`tidecast serve --dvr-window 300`). hls.js in
 * Chromium seeks 3 minutes back into the live stream and plays there, then returns to the live
 * edge. Memory, with the viewer playing at both readings: the server's store holds the same bytes
 * in memory after 5 minutes as after 1 minute while its spill folder on disk grows with the window,
 * and the server's RSS (its own process, /proc; the median of 10 readings over the 20 s before
 * each mark) after 5 minutes is reported against RSS after 1 minute (the issue asks within 10 %;
 * asserted).
 *
 * The V8 settings of the measured process, and why: nothing of the window is in the JavaScript
 * heap but its index, yet RSS swung by 60 MB in a run with V8's defaults, because V8 resizes its
 * young generation with the allocation rate (new space 4 → 8 → 16 → 32 MB and back to 4 at a
 * memory-reducing collection, /metrics `tidecast_nodejs_heap_space_size_total_bytes{space="new"}`
 * sampled every 10 s), and at the CLI's heap growing factor (300, heap-tuning.ts) no full
 * collection ran in 5 minutes, so the old generation grew with garbage. So the server runs with
 * the young generation fixed at V8's own maximum (`node --min-semi-space-size=16
 * --max-semi-space-size=16`, docs/recording.md "DVR memory") and V8's own old-generation factor
 * (`--heap-growing-percent 0`): RSS then follows what the process keeps. About 5.5 minutes:
 * The server is the built command (`node dist/cli/main.js`, what `npm start` runs; rebuilt first
 * when a source file is newer): under tsx, the loader's own memory (each module transformed and
 * its source map kept) was part of the reading at 1 minute.
 * `TIDECAST_DVR=1 npx vitest run test/browser/dvr-hlsjs.test.ts` (.ci/run runs it).
 */

const ffmpeg = await ffmpegPath();
const RUN = process.env['TIDECAST_DVR'] === '1';
const skipReason = RUN ? browserSkipReason(ffmpeg) : 'TIDECAST_DVR=1 runs it (5.5 minutes of real-time publishing; .ci/run runs it)';
const root = new URL('../../', import.meta.url).pathname;
const HLS_JS = readFileSync(createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js'), 'utf8');
const WINDOW_SECONDS = 300;
const BACK_SECONDS = 180;
/** V8's young generation at its own maximum size, from the start (see the header). */
const V8_FIXED_YOUNG_GENERATION = ['--min-semi-space-size=16', '--max-semi-space-size=16'];

/** Builds dist/ (tsconfig.build.json) unless dist/cli/main.js is newer than every file of src/. */
function buildIfStale(): void {
  const built = join(root, 'dist/cli/main.js');
  const newest = (dir: string): number => Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
  if (existsSync(built) && statSync(built).mtimeMs > newest(join(root, 'src'))) return;
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}

let server: { child: ReturnType<typeof spawnTool>['child']; done: Promise<ToolResult> } | undefined;
let publisher: FfmpegRun | undefined;
let browser: ChromiumSession | undefined;

afterAll(async () => {
  await browser?.close();
  if (publisher !== undefined) killByPid(publisher.child);
  if (server !== undefined) killByPid(server.child);
});

/** The default store's bytes in memory and in its spill folder, from /metrics. */
async function storeFigures(origin: string): Promise<{ memory: number; spilled: number; newSpace: number; oldSpaceUsed: number }> {
  const text = (await getText(`${origin}/metrics`))!;
  const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)![1]);
  return {
    memory: value('tidecast_store_memory_bytes'),
    spilled: value('tidecast_store_spilled_bytes'),
    newSpace: value('tidecast_nodejs_heap_space_size_total_bytes\\{space="new"\\}'),
    oldSpaceUsed: value('tidecast_nodejs_heap_space_size_used_bytes\\{space="old"\\}'),
  };
}

function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

/** The median of `pid`'s RSS read every 2 s from `fromMs` until `untilMs` (epoch ms). */
async function medianRss(pid: number, fromMs: number, untilMs: number): Promise<number> {
  await delay(Math.max(0, fromMs - Date.now()));
  const readings: number[] = [];
  while (Date.now() < untilMs) {
    readings.push(rssBytes(pid));
    await delay(2000);
  }
  readings.sort((a, b) => a - b);
  return readings[Math.floor(readings.length / 2)]!;
}

interface Probe {
  currentTime: number;
  liveSync: number | null;
  fatal: string[];
  paused: boolean;
}

describe.skipIf(skipReason !== undefined)(`DVR: a 5-minute rewind window${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('hls.js seeks 3 minutes back and plays, returns to the live edge; the store memory flat from 1 to 5 min, the window on disk', { timeout: 480_000 }, async () => {
    buildIfStale();
    const startedAt = Date.now();
    server = spawnTool(process.execPath, [...V8_FIXED_YOUNG_GENERATION, 'dist/cli/main.js', '--host', '127.0.0.1', '--rtmp-port', '0', '--http-port', '0', '--dvr-window', String(WINDOW_SECONDS), '--heap-growing-percent', '0'], { timeoutMs: 470_000, cwd: root });
    const lines: string[] = [];
    let partial = '';
    server.child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      const split = (partial + text).split('\n');
      partial = split.pop()!;
      lines.push(...split);
    });
    await waitUntil(() => lines.some((l) => l.includes('"msg":"listening"')), 30_000, 'the CLI listening');
    const { rtmpPort, httpPort } = JSON.parse(lines.find((l) => l.includes('"msg":"listening"'))!) as { rtmpPort: number; httpPort: number };
    const origin = `http://127.0.0.1:${httpPort}`;
    publisher = await spawnFfmpeg(['-v', 'error', '-re', '-stream_loop', '-1', '-i', fixturePath('media/h264-aac.flv'), '-t', '420', '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${rtmpPort}/live/dvr`], { timeoutMs: 450_000 });
    await waitUntil(async () => (await getText(`${origin}/live/dvr/video/index.m3u8`))?.includes('.m4s') === true, 30_000, 'the video playlist');
    const pid = server.child.pid!;

    browser = await launchChromium();
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.route(`${origin}/dvr-test.html`, (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html><html><body><video id="v" muted autoplay playsinline></video><script>${HLS_JS}</script></body></html>` }));
    await page.goto(`${origin}/dvr-test.html`);
    await page.evaluate((url) => {
      const w = globalThis as unknown as { Hls: new (c: object) => { loadSource(u: string): void; attachMedia(m: unknown): void; on(e: string, f: (e: unknown, d: { fatal: boolean; details: string }) => void): void; liveSyncPosition: number | null }; document: { getElementById(id: string): unknown }; probe: { fatal: string[]; hls: unknown } };
      const hls = new w.Hls({ lowLatencyMode: true });
      w.probe = { fatal: [], hls };
      hls.on('hlsError', (_e, d) => {
        if (d.fatal) w.probe.fatal.push(d.details);
      });
      hls.loadSource(url);
      hls.attachMedia(w.document.getElementById('v'));
    }, `${origin}/live/dvr/index.m3u8`);
    const probe = (): Promise<Probe> =>
      page.evaluate(() => {
        const w = globalThis as unknown as { document: { getElementById(id: string): { currentTime: number; paused: boolean } }; probe: { fatal: string[]; hls: { liveSyncPosition: number | null } } };
        const v = w.document.getElementById('v');
        return { currentTime: v.currentTime, liveSync: w.probe.hls.liveSyncPosition, fatal: w.probe.fatal, paused: v.paused };
      });
    await expect.poll(async () => (await probe()).currentTime, { timeout: 30_000, interval: 250 }).toBeGreaterThan(0);
    // Measured with the viewer playing, as at the end: the same load, a minute in.
    const rssAt1 = await medianRss(pid, startedAt + 40_000, startedAt + 60_000);
    const storeAt1 = await storeFigures(origin);

    // The window fills: more than 3 minutes of media listed before the seek.
    await delay(Math.max(0, startedAt + 200_000 - Date.now()));
    const media = (await getText(`${origin}/live/dvr/video/index.m3u8`))!;
    const listedSeconds = [...media.matchAll(/#EXTINF:([\d.]+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(listedSeconds).toBeGreaterThan(BACK_SECONDS + 10);
    // LL-HLS clients reload it by delta update: the skipped segments are not sent again.
    const msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(media)![1]);
    const delta = (await getText(`${origin}/live/dvr/video/index.m3u8?_HLS_skip=YES`))!;
    expect(delta).toMatch(/#EXT-X-SKIP:SKIPPED-SEGMENTS=\d+/);
    expect(delta.length).toBeLessThan(media.length / 3);
    // The oldest segment listed is served, from disk.
    expect((await fetch(`${origin}/live/dvr/video/${msn}.m4s`)).status).toBe(200);

    const atLive = await probe();
    const target = atLive.currentTime - BACK_SECONDS;
    expect(target).toBeGreaterThan(0);
    await page.evaluate((t) => {
      (globalThis as unknown as { document: { getElementById(id: string): { currentTime: number } } }).document.getElementById('v').currentTime = t;
    }, target);
    // Playing there: the clock passes the seek point by 3 s while staying minutes behind the live edge.
    await expect.poll(async () => (await probe()).currentTime, { timeout: 30_000, interval: 250 }).toBeGreaterThan(target + 3);
    const back = await probe();
    expect(back.currentTime).toBeLessThan(target + 30);
    expect(back.liveSync! - back.currentTime).toBeGreaterThan(BACK_SECONDS - 30);
    // Back to the live edge.
    await page.evaluate(() => {
      const w = globalThis as unknown as { document: { getElementById(id: string): { currentTime: number } }; probe: { hls: { liveSyncPosition: number | null } } };
      w.document.getElementById('v').currentTime = w.probe.hls.liveSyncPosition!;
    });
    await delay(5000);
    const live = await probe();
    console.log(`DVR: window ${listedSeconds.toFixed(0)} s listed; delta update ${delta.length} of ${media.length} bytes; at live ${atLive.currentTime.toFixed(1)} s, sought to ${target.toFixed(1)}, played to ${back.currentTime.toFixed(1)} (${(back.liveSync! - back.currentTime).toFixed(1)} s behind), back at live ${(live.liveSync! - live.currentTime).toFixed(1)} s behind`);
    expect(live.liveSync! - live.currentTime).toBeLessThan(10);
    expect(live.paused).toBe(false);
    expect(live.fatal).toEqual([]);

    const rssAt5 = await medianRss(pid, startedAt + 280_000, startedAt + 300_000);
    const storeAt5 = await storeFigures(origin);
    const mib = (n: number): string => (n / 2 ** 20).toFixed(1);
    console.log(`DVR: server RSS ${mib(rssAt1)} MiB at 1 min, ${mib(rssAt5)} MiB at 5 min (${((rssAt5 / rssAt1 - 1) * 100).toFixed(1)} %); store in memory ${mib(storeAt1.memory)} → ${mib(storeAt5.memory)} MiB, spilled to disk ${mib(storeAt1.spilled)} → ${mib(storeAt5.spilled)} MiB; V8 new space ${mib(storeAt1.newSpace)} → ${mib(storeAt5.newSpace)} MiB, old space used ${mib(storeAt1.oldSpaceUsed)} → ${mib(storeAt5.oldSpaceUsed)} MiB`);
    // The window lives on disk: the store's memory stays at the hot segments (within 10 %, plus a
    // segment's worth of slack for where the live edge is at each reading) while the spill grows.
    expect(storeAt5.memory).toBeLessThanOrEqual(storeAt1.memory * 1.1 + 256 * 1024);
    expect(storeAt5.spilled).toBeGreaterThan(storeAt1.spilled * 3);
    // RSS: the issue's bound (Done-when 3), within 10 % from 1 to 5 minutes. Under tsx it missed
    // once in five runs (+10.3 %: the heap flat, the loader's own memory moving); the built
    // command, sampled every 10 s through a run, kept 63–76 MiB of anonymous memory.
    expect(rssAt5).toBeLessThanOrEqual(rssAt1 * 1.1);
  });
});
