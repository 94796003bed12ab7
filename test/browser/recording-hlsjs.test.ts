import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { browserSkipReason, launchChromium, type ChromiumSession } from '../helpers/browser.js';
import { ffmpegPath, spawnFfmpeg, testsrcPublisherArgs } from '../helpers/ffmpeg.js';
import { nextPublish, startLiveServer, type LiveServer } from '../helpers/live.js';
import { delay, withTimeout } from '../helpers/process.js';

/*
 * Issue 13, Done when 1 (hls.js's and dash.js's part; ffprobe's is test/integration/recording-vod.test.ts): a
 * server that records nothing by itself (`streams: 'none'`); the dashboard's Record button starts
 * recording the live publish, which ends by itself. The recording is then played as VOD by hls.js
 * in Chromium from /recordings/<id>/index.m3u8 and sought to the middle: playback goes on from
 * there (currentTime passes the seek point), with no fatal error. Then the same by dash.js from
 * its static MPD, /recordings/<id>/manifest.mpd.
 */

const SECONDS = 30;
const ffmpeg = await ffmpegPath();
const skipReason = process.env['TIDECAST_RECORDING'] === '1' ? browserSkipReason(ffmpeg) : 'TIDECAST_RECORDING=1 runs it (.ci/run, with the recording suites)';
const HLS_JS = readFileSync(createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js'), 'utf8');
/** dash.js's UMD bundle (its `require` export). */
const DASH_JS = readFileSync(createRequire(import.meta.url).resolve('dashjs'), 'utf8');

let live: LiveServer | undefined;
let browser: ChromiumSession | undefined;
let dir: string | undefined;

afterAll(async () => {
  await browser?.close();
  await live?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

interface Probe {
  currentTime: number;
  duration: number;
  fatal: string[];
  seeking: boolean;
}

describe.skipIf(skipReason !== undefined)(`a recording started by the dashboard's Record button plays in hls.js (HLS VOD) and dash.js (static MPD) and seeks${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('records from the button, then plays from the start, seeks to the middle and plays on, in hls.js then dash.js', { timeout: 150_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-recording-hlsjs-'));
    live = await startLiveServer({ record: { dir, streams: 'none' }, endGraceMs: 1000 });
    const server = live.server;
    const accepted = nextPublish(server, 'vod');
    const run = await spawnFfmpeg(testsrcPublisherArgs(live.rtmpUrl('live/vod'), SECONDS), { timeoutMs: (SECONDS + 30) * 1000 });
    await withTimeout(accepted, 10_000, 'publish of live/vod');
    const origin = live.httpUrl('').replace(/\/$/, '');

    // The dashboard: pick the stream, press Record.
    browser = await launchChromium();
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.goto(`${origin}/`);
    const item = page.locator('#streams li[data-stream="live/vod"] button');
    await item.waitFor({ timeout: 10_000 });
    await item.click();
    const record = page.locator('#record');
    await record.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await record.textContent()).toBe('Record');
    expect(server.recording!.isRecording('live', 'vod')).toBe(false);
    await record.click();
    await expect.poll(() => record.textContent(), { timeout: 10_000 }).toBe('Stop recording');
    expect(await record.getAttribute('aria-pressed')).toBe('true');
    expect(server.recording!.isRecording('live', 'vod')).toBe(true);

    expect((await run.done).code).toBe(0);
    let recording: { state: string; playlist: string; mpd?: string; durationSeconds: number } | undefined;
    await expect.poll(async () => {
      const list = (await (await fetch(`${origin}/api/recordings`)).json()) as { recordings: Array<NonNullable<typeof recording>> };
      recording = list.recordings[0];
      return recording?.state;
    }, { timeout: 30_000, interval: 500 }).toBe('complete');
    const playlist = recording!.playlist;
    expect(recording!.durationSeconds).toBeGreaterThan(SECONDS / 2);

    // The test's page and hls.js, served on the server's origin by the browser itself (not by tidecast).
    await page.route(`${origin}/vod-test.html`, (route) =>
      route.fulfill({ contentType: 'text/html', body: `<!doctype html><html><body><video id="v" muted autoplay playsinline></video><script>${HLS_JS}</script></body></html>` }),
    );
    await page.goto(`${origin}/vod-test.html`);
    await page.evaluate((url: string) => {
      const w = globalThis as unknown as { Hls: new (config: object) => { loadSource(u: string): void; attachMedia(m: unknown): void; on(e: string, f: (e: unknown, d: { fatal: boolean; details: string }) => void): void }; document: { getElementById(id: string): unknown }; probeFatal: string[] };
      w.probeFatal = [];
      const hls = new w.Hls({});
      hls.on('hlsError', (_e, d) => {
        if (d.fatal) w.probeFatal.push(d.details);
      });
      hls.loadSource(url);
      hls.attachMedia(w.document.getElementById('v'));
    }, playlist);
    const probe = (): Promise<Probe> =>
      page.evaluate(() => {
        const w = globalThis as unknown as { document: { getElementById(id: string): { currentTime: number; duration: number; seeking: boolean } }; probeFatal: string[] };
        const v = w.document.getElementById('v');
        return { currentTime: v.currentTime, duration: v.duration, seeking: v.seeking, fatal: w.probeFatal };
      });
    await expect.poll(async () => (await probe()).currentTime, { timeout: 30_000, interval: 250 }).toBeGreaterThan(1);
    const playing = await probe();
    expect(Math.abs(playing.duration - recording!.durationSeconds)).toBeLessThan(1);

    const middle = playing.duration / 2;
    await page.evaluate((t) => {
      (globalThis as unknown as { document: { getElementById(id: string): { currentTime: number } } }).document.getElementById('v').currentTime = t;
    }, middle);
    await expect.poll(async () => (await probe()).currentTime, { timeout: 20_000, interval: 250 }).toBeGreaterThan(middle + 2);
    await delay(1000);
    const after = await probe();
    console.log(`recording in hls.js: duration ${playing.duration.toFixed(2)} s, played to ${playing.currentTime.toFixed(2)} s, sought to ${middle.toFixed(2)} s, now ${after.currentTime.toFixed(2)} s`);
    expect(after.fatal).toEqual([]);
    expect(after.seeking).toBe(false);
    expect(after.currentTime).toBeGreaterThan(middle + 2);

    // dash.js, the player's defaults, from the recording's static MPD: the same play and seek.
    expect(recording!.mpd).toBe(playlist.replace(/index\.m3u8$/, 'manifest.mpd'));
    const dashStarted = performance.now();
    await page.route(`${origin}/vod-dash.html`, (route) =>
      route.fulfill({ contentType: 'text/html', body: `<!doctype html><html><body><video id="v" muted autoplay playsinline></video><script>${DASH_JS}</script></body></html>` }),
    );
    await page.goto(`${origin}/vod-dash.html`);
    await page.evaluate((url: string) => {
      type Player = { initialize(view: unknown, url: string, autoPlay: boolean): void; on(event: string, listener: (e: { error?: unknown }) => void): void };
      const w = globalThis as unknown as { dashjs: { MediaPlayer: () => { create: () => Player } }; document: { getElementById(id: string): unknown }; probeFatal: string[] };
      w.probeFatal = [];
      const player = w.dashjs.MediaPlayer().create();
      for (const event of ['error', 'playbackError']) player.on(event, (e) => void w.probeFatal.push(`${event}: ${JSON.stringify(e.error ?? null)}`));
      player.initialize(w.document.getElementById('v'), url, true);
    }, recording!.mpd!);
    await expect.poll(async () => (await probe()).currentTime, { timeout: 30_000, interval: 250 }).toBeGreaterThan(1);
    const dashPlaying = await probe();
    expect(dashPlaying.fatal).toEqual([]);
    expect(Math.abs(dashPlaying.duration - recording!.durationSeconds)).toBeLessThan(1);
    const dashMiddle = dashPlaying.duration / 2;
    await page.evaluate((t) => {
      (globalThis as unknown as { document: { getElementById(id: string): { currentTime: number } } }).document.getElementById('v').currentTime = t;
    }, dashMiddle);
    await expect.poll(async () => (await probe()).currentTime, { timeout: 20_000, interval: 250 }).toBeGreaterThan(dashMiddle + 2);
    await delay(1000);
    const dashAfter = await probe();
    console.log(`recording in dash.js: duration ${dashPlaying.duration.toFixed(2)} s, played to ${dashPlaying.currentTime.toFixed(2)} s, sought to ${dashMiddle.toFixed(2)} s, now ${dashAfter.currentTime.toFixed(2)} s (${((performance.now() - dashStarted) / 1000).toFixed(1)} s)`);
    expect(dashAfter.fatal).toEqual([]);
    expect(dashAfter.seeking).toBe(false);
    expect(dashAfter.currentTime).toBeGreaterThan(dashMiddle + 2);
  });
});
