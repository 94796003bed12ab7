import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { hashKey, hmacTokens, signToken, staticKeys } from '../../src/server/index.js';
import { browserSkipReason, launchChromium, type ChromiumSession } from '../helpers/browser.js';
import { ffmpegPath } from '../helpers/ffmpeg.js';
import { startLiveServer, type LiveServer } from '../helpers/live.js';
import { delay } from '../helpers/process.js';

/**
 * Done-when 2 of issue 12: hls.js in Chromium, low-latency mode, plays a protected LL-HLS stream
 * given only the multivariant playlist's URL with a token. The server redirects it under
 * `/t/<session>/`; every later request hls.js makes (media playlists, blocking reloads, parts,
 * preload hints, init and segments) must carry the session in its path, with no query string of
 * the test's: the page's resource timing lists them all.
 */

const SECRET = 'browser-play-secret';
const ffmpeg = await ffmpegPath();
const skipReason = process.env['TIDECAST_CONTROL'] === '1' ? browserSkipReason(ffmpeg) : 'TIDECAST_CONTROL=1 runs it (.ci/run, with the control plane suites)';
const HLS_JS = readFileSync(createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js'), 'utf8');

let live: LiveServer | undefined;
let browser: ChromiumSession | undefined;

afterAll(async () => {
  await browser?.close();
  await live?.close();
});

interface Probe {
  currentTime: number;
  fatal: string[];
  urls: string[];
}

describe.skipIf(skipReason !== undefined)(`hls.js plays a protected LL-HLS stream from a tokened URL${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, () => {
  it('every request after the first carries the session the server wrote; playback advances', { timeout: 90_000 }, async () => {
    live = await startLiveServer({ auth: { apps: { live: { strategies: [staticKeys([hashKey('secure')]), hmacTokens(SECRET)] } }, sessions: { secret: 's', lifetimeSeconds: 600 } } });
    await live.publish('secure', { loop: true, timeoutMs: 80_000 });
    const origin = live.httpUrl('').replace(/\/$/, '');
    const playUrl = `/live/secure/index.m3u8?token=${signToken(SECRET, 'play', 'live', 'secure', Math.floor(Date.now() / 1000) + 600)}`;
    browser = await launchChromium();
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    // The test's page and hls.js, served on the server's origin by the browser itself (not by tidecast).
    await page.route(`${origin}/play-test.html`, (route) =>
      route.fulfill({ contentType: 'text/html', body: `<!doctype html><html><body><video id="v" muted autoplay playsinline></video><script>${HLS_JS}</script></body></html>` }),
    );
    await page.goto(`${origin}/play-test.html`);
    // The first answer may be a 404 until the playlist exists: hls.js is started once it does.
    await expect.poll(async () => (await fetch(`${origin}${playUrl}`, { redirect: 'manual' })).status, { timeout: 30_000, interval: 500 }).toBe(302);
    await expect.poll(async () => {
      const res = await fetch(`${origin}${playUrl}`);
      return res.status === 200 && (await res.text()).includes('#EXT-X-STREAM-INF');
    }, { timeout: 30_000, interval: 500 }).toBe(true);
    await page.evaluate((url) => {
      const w = globalThis as unknown as { Hls: new (config: object) => { loadSource(u: string): void; attachMedia(m: unknown): void; on(e: string, f: (e: unknown, d: { fatal: boolean; details: string }) => void): void }; document: { getElementById(id: string): unknown }; probeFatal: string[] };
      w.probeFatal = [];
      const hls = new w.Hls({ lowLatencyMode: true });
      hls.on('hlsError', (_e, d) => {
        if (d.fatal) w.probeFatal.push(d.details);
      });
      hls.loadSource(url);
      hls.attachMedia(w.document.getElementById('v'));
    }, playUrl);
    const probe = (): Promise<Probe> =>
      page.evaluate(() => {
        const w = globalThis as unknown as { document: { getElementById(id: string): { currentTime: number } }; probeFatal: string[]; performance: { getEntriesByType(t: string): Array<{ name: string }> } };
        return { currentTime: w.document.getElementById('v').currentTime, fatal: w.probeFatal, urls: w.performance.getEntriesByType('resource').map((e) => e.name) };
      });
    await expect.poll(async () => (await probe()).currentTime, { timeout: 30_000, interval: 250 }).toBeGreaterThan(0);
    const before = await probe();
    await delay(5000);
    const after = await probe();
    const requests = after.urls.filter((u) => !u.endsWith('/play-test.html') && !u.endsWith('/favicon.ico')).map((u) => new URL(u));
    const first = requests[0]!;
    const rest = requests.slice(1);
    console.log(`play auth: ${requests.length} requests, currentTime ${before.currentTime.toFixed(2)} → ${after.currentTime.toFixed(2)} s; e.g. ${rest.slice(-3).map((u) => u.pathname.replace(/\/t\/[^/]+/, '/t/…') + u.search).join(' ')}`);
    expect(after.fatal).toEqual([]);
    expect(`${first.pathname}${first.search}`).toBe(playUrl);
    expect(rest.length).toBeGreaterThan(10);
    const session = /^\/t\/[^/]+\//.exec(rest[0]!.pathname)?.[0];
    expect(session).toBeDefined();
    for (const url of rest) {
      expect(url.pathname.startsWith(session!), url.pathname).toBe(true);
      expect(url.searchParams.has('token'), url.href).toBe(false);
    }
    // LL-HLS was in use: blocking reloads and parts, all under the session.
    expect(rest.some((u) => u.searchParams.has('_HLS_msn'))).toBe(true);
    expect(rest.some((u) => /\/\d+\.\d+\.m4s$/.test(u.pathname))).toBe(true); // parts: <segment>.<part>.m4s
    expect(after.currentTime - before.currentTime).toBeGreaterThan(3.5);
    // Without the token nothing plays: 401.
    expect((await fetch(`${origin}/live/secure/index.m3u8`)).status).toBe(401);
  });
});
