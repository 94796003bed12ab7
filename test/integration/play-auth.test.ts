import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacTokens, signToken, staticKeys, hashKey } from '../../src/server/index.js';
import { ffmpegPath } from '../helpers/ffmpeg.js';
import { startLiveServer, waitUntil, type LiveServer } from '../helpers/live.js';

/**
 * Play authorization over HTTP (docs/auth.md, issue 12): a protected stream answers 401 without a
 * credential and 403 with a bad one; a viewer's `?token=` buys a redirect under `/t/<session>/`,
 * below which every relative URI of the playlists (media playlists, parts, preload hints, rendition
 * reports, segments) and the MPD resolves; LL-HLS blocking reloads work there; the session ends at
 * its lifetime; an edge with the shared secret passes; an encoded path is judged as decoded.
 */

const SECRET = 'play-secret';
const ffmpeg = await ffmpegPath();
let live: LiveServer;
let nowOffsetMs = 0;

beforeAll(async () => {
  if (ffmpeg === undefined) return;
  live = await startLiveServer({
    now: () => Date.now() + nowOffsetMs,
    auth: {
      apps: { live: { strategies: [staticKeys([hashKey('cam')]), hmacTokens(SECRET)] }, open: { strategies: [], open: ['play', 'publish'] } },
      sessions: { secret: 'session-secret', lifetimeSeconds: 60, edgeSecret: 'edge-secret' },
    },
  });
  await live.publish('cam', { loop: true, timeoutMs: 60_000 });
  await waitUntil(async () => (await fetch(live.httpUrl('live/cam/index.m3u8'), { headers: { 'x-tidecast-edge': 'edge-secret' } })).status === 200, 20_000, 'the playlist');
});

afterAll(async () => {
  await live?.close();
});

const token = (expiry = Math.floor(Date.now() / 1000) + 600): string => signToken(SECRET, 'play', 'live', 'cam', expiry);

describe.skipIf(ffmpeg === undefined)('HLS and DASH play authorization', () => {
  it('refuses without a credential (401), with a bad or expired one (403), and lists the denial', async () => {
    const none = await fetch(live.httpUrl('live/cam/index.m3u8'), { redirect: 'manual' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const bad = await fetch(live.httpUrl('live/cam/index.m3u8?token=1.abc'), { redirect: 'manual' });
    expect(bad.status).toBe(403);
    const expired = await fetch(live.httpUrl(`live/cam/index.m3u8?token=${token(Math.floor(Date.now() / 1000) - 5)}`), { redirect: 'manual' });
    expect(expired.status).toBe(403);
    expect(((await expired.json()) as { reason: string }).reason).toMatch(/expired/);
    // Segments, parts and init sections are protected too, and the hot path (HTTP/1.1 front) does not bypass it.
    for (const path of ['live/cam/v0/init.mp4', 'live/cam/index.m3u8?_HLS_msn=1', 'live/cam/manifest.mpd', 'live/cam/ts.m3u8', 'live/%63am/index.m3u8']) {
      expect((await fetch(live.httpUrl(path), { redirect: 'manual' })).status, path).toBe(401);
    }
    expect(live.server.control.recentDenials.some((d) => d.action === 'play' && d.app === 'live' && d.key === 'cam')).toBe(true);
  });

  it('redirects a token under /t/<session>/, where every playlist URI and segment answers', async () => {
    const first = await fetch(live.httpUrl(`live/cam/index.m3u8?token=${token()}`), { redirect: 'manual' });
    expect(first.status).toBe(302);
    const location = first.headers.get('location')!;
    expect(location).toMatch(/^\/t\/[\w-]+\.[\w-]+\/live\/cam\/index\.m3u8$/);
    const base = new URL(location, live.httpUrl(''));
    const multivariant = await fetch(base);
    expect(multivariant.status).toBe(200);
    const variant = (await multivariant.text()).split('\n').find((l) => l !== '' && !l.startsWith('#'))!;
    const mediaUrl = new URL(variant, base);
    expect(mediaUrl.pathname.startsWith(location.slice(0, location.indexOf('/live/')))).toBe(true);
    const media = await (await fetch(mediaUrl)).text();
    // Every URI in the media playlist resolves under the session: init, segments, parts, the preload hint.
    const uris = [...media.matchAll(/URI="([^"]+)"/g)].map((m) => m[1]!).concat(media.split('\n').filter((l) => l !== '' && !l.startsWith('#')));
    expect(uris.length).toBeGreaterThan(3);
    for (const uri of uris) {
      const url = new URL(uri, mediaUrl);
      expect(url.pathname.startsWith('/t/'), uri).toBe(true);
    }
    const segment = media.split('\n').find((l) => l !== '' && !l.startsWith('#'))!;
    expect((await fetch(new URL(segment, mediaUrl))).status).toBe(200);
    // An LL-HLS blocking reload under the session: parked and answered.
    const msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(media)![1]) + media.split('\n').filter((l) => l.startsWith('#EXTINF')).length;
    const blocking = await fetch(new URL(`${mediaUrl.pathname}?_HLS_msn=${msn}`, mediaUrl));
    expect(blocking.status).toBe(200);
    expect(await blocking.text()).toContain('#EXTM3U');
    // A session is bound to its stream, and its signature to the server's secret.
    const otherStream = mediaUrl.pathname.replace('/live/cam/', '/live/other/');
    expect((await fetch(new URL(otherStream, mediaUrl))).status).toBe(403);
    const forged = mediaUrl.pathname.replace(/\/t\/([\w-]+)\.[\w-]+\//, '/t/$1.AAAA/');
    expect((await fetch(new URL(forged, mediaUrl))).status).toBe(403);
    // The viewer is a session (API, webhooks).
    expect(live.server.control.play!.viewers().some((v) => v.app === 'live' && v.streamKey === 'cam' && v.protocol === 'hls')).toBe(true);
    expect(await live.server.control.metrics.text()).toMatch(/tidecast_stream_viewers\{stream="live\/cam",protocol="hls"\} [1-9]/);
  });

  it('DASH: the MPD redirects too and its segments resolve under the session', async () => {
    const first = await fetch(live.httpUrl(`live/cam/manifest.mpd?token=${token()}`), { redirect: 'manual' });
    expect(first.status).toBe(302);
    const mpdUrl = new URL(first.headers.get('location')!, live.httpUrl(''));
    const mpd = await fetch(mpdUrl);
    expect(mpd.status).toBe(200);
    const init = /initialization="([^"]+)"/.exec(await mpd.text())![1]!.replace('$RepresentationID$', 'v0');
    expect((await fetch(new URL(init, mpdUrl))).status).toBe(200);
  });

  it('a session ends at its lifetime; an edge with the shared secret and an open app pass', async () => {
    const first = await fetch(live.httpUrl(`live/cam/index.m3u8?token=${token()}`), { redirect: 'manual' });
    const url = new URL(first.headers.get('location')!, live.httpUrl(''));
    expect((await fetch(url)).status).toBe(200);
    nowOffsetMs = 61_000;
    try {
      const late = await fetch(url);
      expect(late.status).toBe(403);
      expect(((await late.json()) as { reason: string }).reason).toBe('session expired');
    } finally {
      nowOffsetMs = 0;
    }
    expect((await fetch(live.httpUrl('live/cam/index.m3u8'), { headers: { 'x-tidecast-edge': 'wrong' } })).status).toBe(401);
    expect((await fetch(live.httpUrl('live/cam/index.m3u8'), { headers: { 'x-tidecast-edge': 'edge-secret' } })).status).toBe(200);
    // Paths that are not a stream's stay as they were.
    expect((await fetch(live.httpUrl('time'))).status).toBe(200);
    expect((await fetch(live.httpUrl('open/nothing/index.m3u8'))).status).toBe(404);
  });
});
