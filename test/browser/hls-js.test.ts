import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { ffmpegPath } from '../helpers/ffmpeg.js';
import { browserSkipReason, launchChromium, type ChromiumSession } from '../helpers/browser.js';
import { startLiveServer, type LiveServer } from '../helpers/live.js';
import { delay } from '../helpers/process.js';

/**
 * hls.js in Chromium as the oracle of live delivery: the page at `/` lists the stream, plays it,
 * and the video clock must advance at wall-clock speed without a fatal hls.js error.
 */

/** The fixture is 10 s; looped so the stream outlasts startup plus the measurement. */
const FFMPEG_TIMEOUT_MS = 90_000;
/** hls.js waits for three target durations of segments (2 s each) before it starts. */
const PLAYBACK_START_TIMEOUT_MS = 40_000;
const MEASURE_WALL_MS = 6_000;
const MIN_ADVANCE_SECONDS = 5;

const ffmpeg = await ffmpegPath();
const skipReason = browserSkipReason(ffmpeg);

let live: LiveServer | undefined;
let browser: ChromiumSession | undefined;

afterAll(async () => {
  await browser?.close();
  await live?.close();
});

/** Playback facts read in the page: the video clock and the fatal hls.js errors seen so far. */
async function playback(page: Page): Promise<{ currentTime: number; fatal: string[]; status: string }> {
  return page.evaluate(() => {
    // Runs in the page: typed structurally, the project's lib has no DOM.
    const w = globalThis as unknown as PageGlobals;
    return {
      currentTime: w.document.getElementById('video')?.currentTime ?? 0,
      fatal: w.tidecastFatal ?? [],
      status: w.document.getElementById('status')?.textContent ?? '',
    };
  });
}

/** What the tests touch of the page's globals (the dashboard, src/server/dashboard/dashboard.js, sets tidecastPlayer). */
interface PageGlobals {
  document: { getElementById: (id: string) => { textContent: string | null; currentTime?: number } | null };
  Hls: { Events: { ERROR: string } };
  tidecastPlayer?: { url: string; hls: { on: (event: string, listener: (event: unknown, data: { fatal: boolean; details: string }) => void) => void } | null };
  tidecastFatal?: string[];
}

describe.skipIf(skipReason !== undefined)(`hls.js in Chromium plays a live stream${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('lists the stream on the page, plays it, and currentTime follows the wall clock', { timeout: 120_000 }, async () => {
    live = await startLiveServer();
    // ffmpeg -re, the fixture looped until the test ends (killed by PID in afterAll) or the timeout.
    await live.publish('browser', { loop: true, timeoutMs: FFMPEG_TIMEOUT_MS });
    const http = { port: Number(new URL(live.httpUrl('')).port) };

    // Clicked as soon as the stream is listed: its playlist appears with the first segment
    // (~2 s later), and the page must wait for it rather than hand hls.js a 404.
    browser = await launchChromium();
    const { context } = browser;
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`http://127.0.0.1:${http.port}/`);
    const item = page.locator('#streams li[data-stream="live/browser"]');
    await item.waitFor({ timeout: 20_000 });
    await item.click();
    // The page starts hls.js once the playlist exists (it waits for the first segment).
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).tidecastPlayer !== undefined, undefined, { timeout: 20_000 });

    const player = await page.evaluate(() => {
      const w = globalThis as unknown as PageGlobals;
      const fatal: string[] = [];
      w.tidecastFatal = fatal;
      w.tidecastPlayer?.hls?.on(w.Hls.Events.ERROR, (_e, d) => {
        if (d.fatal) fatal.push(d.details);
      });
      return { url: w.tidecastPlayer?.url, hlsJs: w.tidecastPlayer?.hls != null };
    });
    expect(player).toEqual({ url: '/live/browser/index.m3u8', hlsJs: true });

    await expect.poll(async () => (await playback(page)).currentTime, { timeout: PLAYBACK_START_TIMEOUT_MS, interval: 250 }).toBeGreaterThan(0);
    const before = await playback(page);
    await delay(MEASURE_WALL_MS);
    const after = await playback(page);
    const advanced = after.currentTime - before.currentTime;
    console.log(`hls.js: currentTime ${before.currentTime.toFixed(2)} → ${after.currentTime.toFixed(2)} s (+${advanced.toFixed(2)} s over ${MEASURE_WALL_MS} ms)`);
    expect(after.fatal).toEqual([]);
    expect(after.status).not.toMatch(/Playback error/);
    expect(advanced).toBeGreaterThanOrEqual(MIN_ADVANCE_SECONDS);
  });
});
