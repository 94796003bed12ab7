import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HlsLivePackager, type LiveSegmentEvent } from '../../src/hls/index.js';
import type { Track } from '../../src/media/index.js';
import { joinPieces, type StoredFile } from '../../src/store/index.js';
import { registerControlApi } from '../../src/server/control-api.js';
import { hmacTokens, signToken } from '../../src/server/index.js';
import { PlayAuth } from '../../src/server/play-auth.js';
import { RecordingPlaylist, recordingMultivariant, type RecordedSegment } from '../../src/server/recorder-playlists.js';
import { writeRecordingMpd } from '../../src/server/recording-mpd.js';
import type { RecordingInfo, RecordingRendition } from '../../src/server/recording-catalog.js';
import { recordingsApiRoutes, type RecordingControl } from '../../src/server/recordings-api.js';
import { byteRange } from '../../src/server/recordings-files.js';
import { registerRecordingFiles } from '../../src/server/recordings-files.js';
import { parseRecordingPlaylist, selectSegments } from '../../src/server/recordings-export.js';
import { ffprobePath, runFfprobeJson } from '../helpers/ffmpeg.js';
import { concatBytes, parseMp4 } from '../helpers/mp4box.js';
import { mpdProblems } from '../helpers/mpd-check.js';
import { startLiveServer } from '../helpers/live.js';
import { codeBlocks, markdownSection, readDoc } from '../helpers/docs-examples.js';
import { documentedInject, operationOf, type ApiDocument } from '../helpers/openapi.js';
import { fixtureTracks, loopedFixture } from '../hls/live-fixture.js';

/*
 * The recordings API, the serving of a recording's files and the export (issue 13, Done when 5),
 * on recording folders this test writes itself in the recorder's layout (docs/recording.md): the
 * packager's own CMAF fragments of fixtures/media/h264-aac.flv played twice (20 s, 2 s GOPs,
 * LL-HLS parts, so each segment is several fragments), the playlists rendered by the recorder's
 * renderer. The API is called only as its OpenAPI document declares it (test/helpers/openapi.ts);
 * the export is read by mp4box.js and ffprobe.
 */

const ffprobe = await ffprobePath();
const run = promisify(execFile);
/** curl runs the page's commands; .ci/run installs it where it is missing. */
const CURL = await run('curl', ['--version']).then(() => true, () => false);
const T0 = Date.UTC(2026, 11, 7, 12);

let dir: string;
let app: FastifyInstance;
let doc: ApiDocument;
let call: ReturnType<typeof documentedInject>;
let configured = true;
const recorded = new Set<string>();
/** The source segments of the complete recording, per rendition: msn → bytes. */
let source: Map<string, Map<number, Uint8Array>>;
let inits: Map<string, Uint8Array>;

const COMPLETE = 'live/cam/2026-12-07_12-00-00';
const IN_PROGRESS = 'live/cam/2026-12-07_12-30-00';
const OTHER = 'live/other/2026-12-07_11-00-00';
const SECRET_APP = 'vip/stage/2026-12-07_10-00-00';

const control: RecordingControl = {
  get dir() {
    return dir;
  },
  start: (a, k) => {
    if (a !== 'live' || k !== 'cam') return false;
    recorded.add(`${a}/${k}`);
    return true;
  },
  stop: async (a, k) => recorded.delete(`${a}/${k}`),
  isRecording: (a, k) => recorded.has(`${a}/${k}`),
};

/**
 * A recording folder as the recorder leaves it: the packager fed the looped fixture, every put
 * kept (the live window's deletes ignored), the segments' files, init-0.mp4 per rendition,
 * the playlists and recording.json.
 */
async function writeRecording(id: string, state: RecordingInfo['state'], app = 'live', key = 'cam', root = dir): Promise<{ segments: Map<string, Map<number, Uint8Array>>; inits: Map<string, Uint8Array> }> {
  const files = new Map<string, StoredFile>();
  const events: LiveSegmentEvent[] = [];
  const store = {
    put: (path: string, file: StoredFile) => void files.set(path, file),
    get: (path: string) => files.get(path),
    delete: () => undefined,
    list: () => [...files.keys()],
  };
  const packager = new HlsLivePackager(store, { lowLatency: true, onSegment: (e) => events.push(e) });
  const tracks: Track[] = fixtureTracks();
  await packager.setTracks(tracks, T0);
  for (const { sample, seconds } of loopedFixture(2)) await packager.pushSample(sample, T0 + Math.round(seconds * 1000));
  await packager.end(T0 + 21_000);
  await packager.idle();
  const folder = join(root, ...id.split('/'));
  const segments = new Map<string, Map<number, Uint8Array>>();
  const initBytes = new Map<string, Uint8Array>();
  const renditions: RecordingRendition[] = [];
  const listed: RecordedSegment[][] = [];
  let bytes = 0;
  for (const track of tracks) {
    const name = track.kind;
    await mkdir(join(folder, name), { recursive: true });
    const init = joinPieces(files.get(`${name}/init-0.mp4`)!);
    initBytes.set(name, init);
    await writeFile(join(folder, name, 'init-0.mp4'), init);
    const playlist = new RecordingPlaylist(2);
    const mine = new Map<number, Uint8Array>();
    for (const e of events.filter((x) => x.track === name)) {
      const segment = joinPieces(files.get(`${name}/${e.msn}.m4s`)!);
      mine.set(e.msn, segment);
      bytes += segment.byteLength;
      await writeFile(join(folder, name, `${e.msn}.m4s`), segment);
      playlist.add({ msn: e.msn, durationSeconds: e.durationSeconds, programDateTimeMs: e.programDateTimeMs, generation: e.generation, discontinuity: e.discontinuity, byteLength: e.byteLength });
    }
    segments.set(name, mine);
    listed.push(playlist.segments);
    await writeFile(join(folder, name, 'index.m3u8'), playlist.render(state !== 'recording'));
    renditions.push(track.kind === 'video'
      ? { name, kind: 'video', codecs: track.codecString, bandwidth: 900_000, width: track.width, height: track.height, frameRate: 30 }
      : { name, kind: 'audio', codecs: track.codecString, bandwidth: 130_000, sampleRate: track.sampleRate, channels: track.channels });
  }
  await writeFile(join(folder, 'index.m3u8'), recordingMultivariant(renditions)!);
  // The recorder's close (and the repair) writes the static MPD.
  if (state !== 'recording') expect(await writeRecordingMpd(folder, renditions.map((rendition, i) => ({ rendition, segments: listed[i]! })), T0 + 20_100)).toBe(true);
  const info: RecordingInfo = { version: 1, id, app, streamKey: key, startedAtMs: T0, endedAtMs: state === 'recording' ? null : T0 + 20_100, state, durationSeconds: 20.1, bytes, renditions };
  await writeFile(join(folder, 'recording.json'), JSON.stringify(info));
  return { segments, inits: initBytes };
}

/** The control API with the recordings routes, and the recordings' files, on a bare fastify (the server's wiring is in test/integration/recording-vod.test.ts). */
async function apiApp(play?: PlayAuth): Promise<FastifyInstance> {
  const a = Fastify();
  registerRecordingFiles(a, { dir: () => (configured ? dir : undefined), ...(play === undefined ? {} : { play }) });
  registerControlApi(a, {
    now: () => T0,
    streams: () => [],
    health: () => undefined,
    kickStream: () => false,
    sessions: { list: () => [], kick: () => 'unknown' },
    config: () => ({ settings: {} as never, rtmp: {}, hls: {}, options: {} }),
    denials: () => [],
    routes: [recordingsApiRoutes({ recording: () => (configured ? control : undefined) })],
  });
  await a.ready();
  return a;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidecast-recordings-api-'));
  ({ segments: source, inits } = await writeRecording(COMPLETE, 'complete'));
  await writeRecording(IN_PROGRESS, 'recording');
  await writeRecording(OTHER, 'recovered', 'live', 'other');
  await writeRecording(SECRET_APP, 'complete', 'vip', 'stage');
  app = await apiApp();
  doc = (await app.inject('/api/openapi.json')).json();
  call = documentedInject(app, doc);
});
afterAll(async () => {
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

const enc = encodeURIComponent;

describe('GET /api/recordings', () => {
  it('lists every recording by id with its VOD playlist paths; pages with limit/after/next', async () => {
    const all = (await call('GET', '/api/recordings')).json() as { recordings: Array<Record<string, unknown>>; next?: string };
    expect(all.recordings.map((r) => r['id'])).toEqual([COMPLETE, IN_PROGRESS, OTHER, SECRET_APP]);
    expect(all.next).toBeUndefined();
    const first = all.recordings[0]!;
    expect(first).toMatchObject({
      version: 1, app: 'live', streamKey: 'cam', state: 'complete', startedAtMs: T0, startedAt: new Date(T0).toISOString(), endedAtMs: T0 + 20_100, endedAt: new Date(T0 + 20_100).toISOString(),
      durationSeconds: 20.1, playlist: `/recordings/${COMPLETE}/index.m3u8`, export: `/api/recordings/${enc(COMPLETE)}/export`,
    });
    expect((first['renditions'] as Array<{ name: string; playlist: string }>).map((r) => [r.name, r.playlist])).toEqual([['video', `/recordings/${COMPLETE}/video/index.m3u8`], ['audio', `/recordings/${COMPLETE}/audio/index.m3u8`]]);
    // The static MPD: finished recordings only.
    expect(all.recordings.map((r) => [r['state'], r['mpd']])).toEqual([
      ['complete', `/recordings/${COMPLETE}/manifest.mpd`],
      ['recording', undefined],
      ['recovered', `/recordings/${OTHER}/manifest.mpd`],
      ['complete', `/recordings/${SECRET_APP}/manifest.mpd`],
    ]);
    expect(all.recordings[1]).toMatchObject({ state: 'recording', endedAtMs: null, endedAt: null });

    const seen: string[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const body = (await call('GET', `/api/recordings?limit=3${after === undefined ? '' : `&after=${enc(after)}`}`)).json() as { recordings: Array<{ id: string }>; next?: string };
      seen.push(...body.recordings.map((r) => r.id));
      if (body.next === undefined) break;
      after = body.next;
    }
    expect(seen).toEqual([COMPLETE, IN_PROGRESS, OTHER, SECRET_APP]);
    expect((await call('GET', '/api/recordings?limit=0')).statusCode).toBe(400);
  });

  it('gets one by its URL-encoded id; 404 for an unknown or unsafe id', async () => {
    const one = await call('GET', `/api/recordings/${enc(OTHER)}`);
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ id: OTHER, streamKey: 'other', state: 'recovered', mpd: `/recordings/${OTHER}/manifest.mpd` });
    // A finished recording without one (recorded before the MPD was written, or with nothing to place) lists none.
    await rename(join(dir, OTHER, 'manifest.mpd'), join(dir, OTHER, 'manifest.mpd.kept'));
    try {
      expect((await call('GET', `/api/recordings/${enc(OTHER)}`)).json()).not.toHaveProperty('mpd');
      expect((await app.inject(`/recordings/${OTHER}/manifest.mpd`)).statusCode).toBe(404);
    } finally {
      await rename(join(dir, OTHER, 'manifest.mpd.kept'), join(dir, OTHER, 'manifest.mpd'));
    }
    for (const id of ['live/cam/nope', '../../etc', 'live/../../x', '.hidden/x', 'live/cam', '']) {
      if (id === '') continue;
      expect((await call('GET', `/api/recordings/${enc(id)}`)).statusCode, id).toBe(404);
    }
  });

  it('answers 404 on every route when recording is not configured', async () => {
    configured = false;
    try {
      expect((await call('GET', '/api/recordings')).json()).toMatchObject({ message: 'recording is not configured' });
      expect((await call('GET', `/api/recordings/${enc(COMPLETE)}`)).statusCode).toBe(404);
      expect((await call('GET', `/api/recordings/${enc(COMPLETE)}/export?start=0&duration=2`)).statusCode).toBe(404);
      expect((await call('POST', '/api/streams/live/cam/record/start')).statusCode).toBe(404);
      expect((await app.inject(`/recordings/${COMPLETE}/index.m3u8`)).statusCode).toBe(404);
    } finally {
      configured = true;
    }
  });
});

describe('POST /api/streams/:app/:key/record/start|stop', () => {
  it('starts and stops through the recorder; 404 when the stream is not live or not recorded', async () => {
    expect((await call('POST', '/api/streams/live/cam/record/start')).json()).toEqual({ app: 'live', streamKey: 'cam', recording: true });
    expect(control.isRecording('live', 'cam')).toBe(true);
    expect((await call('POST', '/api/streams/live/gone/record/start')).statusCode).toBe(404);
    expect((await call('POST', '/api/streams/live/cam/record/stop')).json()).toEqual({ app: 'live', streamKey: 'cam', recording: false });
    expect((await call('POST', '/api/streams/live/cam/record/stop')).statusCode).toBe(404);
  });
});

describe('DELETE /api/recordings/:id', () => {
  it('refuses a recording in progress (409), removes a finished one (204, then 404)', async () => {
    const doomed = 'live/cam/2026-12-07_09-00-00';
    await writeRecording(doomed, 'complete');
    expect((await call('DELETE', `/api/recordings/${enc(IN_PROGRESS)}`)).statusCode).toBe(409);
    expect((await stat(join(dir, IN_PROGRESS, 'recording.json'))).isFile()).toBe(true);
    expect((await call('DELETE', `/api/recordings/${enc(doomed)}`)).statusCode).toBe(204);
    await expect(stat(join(dir, doomed))).rejects.toThrow();
    expect((await call('DELETE', `/api/recordings/${enc(doomed)}`)).statusCode).toBe(404);
    expect((await stat(join(dir, COMPLETE, 'recording.json'))).isFile()).toBe(true);
    // The folders it leaves empty go too, up to the recordings dir.
    await writeRecording('solo/one/2026-12-07_08-00-00', 'complete', 'solo', 'one');
    expect((await call('DELETE', `/api/recordings/${enc('solo/one/2026-12-07_08-00-00')}`)).statusCode).toBe(204);
    await expect(stat(join(dir, 'solo'))).rejects.toThrow();
    expect((await stat(dir)).isDirectory()).toBe(true);
  });
});

describe('GET|HEAD /recordings/<id>/<file>', () => {
  it('serves the playlists, init and media segments with the live content types; finished: immutable, recording: no-cache', async () => {
    const multivariant = await app.inject(`/recordings/${COMPLETE}/index.m3u8`);
    expect(multivariant.statusCode).toBe(200);
    expect(multivariant.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(multivariant.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(multivariant.body).toContain('video/index.m3u8');
    const media = await app.inject(`/recordings/${COMPLETE}/video/index.m3u8`);
    expect(media.body).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(media.body).toContain('#EXT-X-ENDLIST');
    const init = await app.inject(`/recordings/${COMPLETE}/video/init-0.mp4`);
    expect(init.headers['content-type']).toBe('video/mp4');
    expect(init.rawPayload.equals(Buffer.from(inits.get('video')!))).toBe(true);
    const audio = await app.inject(`/recordings/${COMPLETE}/audio/3.m4s`);
    expect(audio.headers['content-type']).toBe('audio/mp4');
    expect(audio.rawPayload.equals(Buffer.from(source.get('audio')!.get(3)!))).toBe(true);
    const live = await app.inject(`/recordings/${IN_PROGRESS}/video/index.m3u8`);
    expect(live.headers['cache-control']).toBe('no-cache');
    expect(live.body).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
    expect(live.body).not.toContain('#EXT-X-ENDLIST');
    const mpd = await app.inject(`/recordings/${COMPLETE}/manifest.mpd`);
    expect(mpd.statusCode).toBe(200);
    expect(mpd.headers['content-type']).toBe('application/dash+xml');
    expect(mpd.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(mpdProblems(mpd.body)).toEqual([]);
    // Its URIs are relative to it, as the playlists': the files this folder serves.
    for (const uri of [...mpd.body.matchAll(/initialization="([^"]+)"/g)].map((m) => m[1]!)) expect((await app.inject(`/recordings/${COMPLETE}/${uri}`)).statusCode, uri).toBe(200);
    expect(mpd.body).toContain('media="video/$Number$.m4s"');
    expect((await app.inject(`/recordings/${IN_PROGRESS}/manifest.mpd`)).statusCode).toBe(404);
    const head = await app.inject({ method: 'HEAD', url: `/recordings/${COMPLETE}/video/2.m4s` });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe(String(source.get('video')!.get(2)!.byteLength));
    expect(head.rawPayload.byteLength).toBe(0);
  });

  it('answers byte ranges (206, Content-Range), 416 past the end, the whole file for what it does not read', async () => {
    const segment = Buffer.from(source.get('video')!.get(4)!);
    const url = `/recordings/${COMPLETE}/video/4.m4s`;
    const part = await app.inject({ url, headers: { range: 'bytes=100-199' } });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${segment.byteLength}`);
    expect(part.headers['content-length']).toBe('100');
    expect(part.rawPayload.equals(segment.subarray(100, 200))).toBe(true);
    const tail = await app.inject({ url, headers: { range: 'bytes=-10' } });
    expect(tail.rawPayload.equals(segment.subarray(segment.byteLength - 10))).toBe(true);
    const open = await app.inject({ url, headers: { range: `bytes=${segment.byteLength - 5}-` } });
    expect(open.rawPayload.equals(segment.subarray(segment.byteLength - 5))).toBe(true);
    const past = await app.inject({ url, headers: { range: `bytes=${segment.byteLength}-` } });
    expect(past.statusCode).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${segment.byteLength}`);
    const several = await app.inject({ url, headers: { range: 'bytes=0-1,5-6' } });
    expect([several.statusCode, several.rawPayload.byteLength]).toEqual([200, segment.byteLength]);
    expect(byteRange('bytes=5-2', undefined, 'x', 10)).toBeUndefined();
    expect(byteRange('bytes=0-99', 'Mon, 01 Jan 2024 00:00:00 GMT', 'x', 10)).toBeUndefined();
    expect(byteRange('bytes=0-99', undefined, 'x', 10)).toEqual({ start: 0, end: 9 });
    expect(byteRange('bytes=-0', undefined, 'x', 10)).toBe('unsatisfiable');
  });

  it('serves only the layout\'s names inside a recording: no recording.json, no traversal, no symlink, no unlisted rendition', async () => {
    await writeFile(join(dir, COMPLETE, 'video', 'notes.txt'), 'secret');
    await symlink('/etc/passwd', join(dir, COMPLETE, 'video', '99999.m4s'));
    await mkdir(join(dir, COMPLETE, 'extra'), { recursive: true });
    await writeFile(join(dir, COMPLETE, 'extra', '1.m4s'), 'not listed');
    const attacks = [
      `/recordings/${COMPLETE}/recording.json`,
      `/recordings/${COMPLETE}/video/notes.txt`,
      `/recordings/${COMPLETE}/video/99999.m4s`,
      `/recordings/${COMPLETE}/extra/1.m4s`,
      `/recordings/${COMPLETE}/video/..%2Frecording.json`,
      `/recordings/${COMPLETE}/..%2F..%2F..%2F..%2Fetc/passwd`,
      `/recordings/..%2F..%2F..%2F..%2F..%2Fetc/passwd/index.m3u8`,
      '/recordings/%2e%2e/%2e%2e/%2e%2e/etc/index.m3u8',
      `/recordings/${COMPLETE}/video%2F..%2F..%2F${COMPLETE.split('/').pop()}/video/1.m4s`,
      `/recordings/live/cam/index.m3u8`,
      '/recordings/index.m3u8',
      `/recordings/${COMPLETE}/video/1.m4s%00.txt`,
    ];
    for (const url of attacks) {
      const answer = await app.inject(url);
      expect([url, answer.statusCode]).toEqual([url, 404]);
      expect(answer.body).not.toContain('root:');
    }
  });

  it('with play authorization: 401 without credentials, 403 with bad ones, a session redirect that the playlists\' relative URIs keep', async () => {
    const denials: string[] = [];
    const play = new PlayAuth({
      authorize: async (r) => (new URLSearchParams(r.query).get('token') === `ok-${r.key}` ? { allow: true, by: 'test' } : { allow: false, by: 'test', reason: 'bad token' }),
      isOpen: (_action, a) => a === 'live',
      denied: (d) => void denials.push(`${d.app}/${d.key}: ${d.reason}`),
      now: () => Date.now(),
    }, { secret: 'recordings-test' });
    const guarded = await apiApp(play);
    try {
      expect((await guarded.inject(`/recordings/${COMPLETE}/index.m3u8`)).statusCode).toBe(200); // app `live` is open
      const none = await guarded.inject(`/recordings/${SECRET_APP}/index.m3u8`);
      expect(none.statusCode).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="tidecast play"');
      expect((await guarded.inject(`/recordings/${SECRET_APP}/index.m3u8?token=wrong`)).statusCode).toBe(403);
      expect(denials).toContain('vip/stage: bad token');
      const ok = await guarded.inject(`/recordings/${SECRET_APP}/index.m3u8?token=ok-stage&x=1`);
      expect(ok.statusCode).toBe(302);
      const location = ok.headers['location'] as string;
      expect(location).toMatch(new RegExp(`^/t/[\\w-]+\\.[\\w-]+/recordings/${SECRET_APP}/index\\.m3u8\\?x=1$`));
      const session = location.slice(0, location.indexOf('/recordings/'));
      const multivariant = await guarded.inject(location);
      expect(multivariant.statusCode).toBe(200);
      const uri = multivariant.body.split('\n').find((l) => l.endsWith('.m3u8') && !l.startsWith('#'))!;
      expect((await guarded.inject(`${session}/recordings/${SECRET_APP}/${uri}`)).statusCode).toBe(200);
      expect((await guarded.inject(`${session}/recordings/${SECRET_APP}/video/0.m4s`)).statusCode).toBe(200);
      expect((await guarded.inject(`/recordings/${SECRET_APP}/manifest.mpd`)).statusCode).toBe(401);
      expect((await guarded.inject(`${session}/recordings/${SECRET_APP}/manifest.mpd`)).statusCode).toBe(200);
      // The session is for vip/stage: not another stream's recording, and a forged one is refused.
      await writeRecording('vip/other/2026-12-07_10-00-00', 'complete', 'vip', 'other');
      expect((await guarded.inject(`${session}/recordings/vip/other/2026-12-07_10-00-00/index.m3u8`)).statusCode).toBe(403);
      expect((await guarded.inject(`/t/forged.token/recordings/${SECRET_APP}/index.m3u8`)).statusCode).toBe(403);
    } finally {
      await guarded.close();
    }
  });
});

describe('in a MediaServer with the `record` option', () => {
  it('serves the recordings and their API; play authorization by the recording\'s app, the session under /t/ through the server\'s front', async () => {
    const own = await mkdtemp(join(tmpdir(), 'tidecast-recordings-server-'));
    const SECRET = 'recordings-play-secret';
    const id = 'live/cam/2026-12-07_12-00-00';
    await writeRecording(id, 'complete', 'live', 'cam', own);
    const live = await startLiveServer({ record: { dir: own }, auth: { apps: { live: { strategies: [hmacTokens(SECRET)] } } } });
    try {
      const url = (path: string): string => live.httpUrl(path.replace(/^\//, ''));
      const list = (await (await fetch(url('/api/recordings'))).json()) as { recordings: Array<{ id: string; playlist: string }> };
      expect(list.recordings.map((r) => r.id)).toEqual([id]);
      const playlist = list.recordings[0]!.playlist;
      expect((await fetch(url(playlist))).status).toBe(401);
      const token = signToken(SECRET, 'play', 'live', 'cam', Math.floor(Date.now() / 1000) + 600);
      const redirect = await fetch(url(`${playlist}?token=${token}`), { redirect: 'manual' });
      expect(redirect.status).toBe(302);
      const location = redirect.headers.get('location')!;
      expect(location).toMatch(/^\/t\/[^/]+\/recordings\/live\/cam\//);
      const multivariant = await fetch(url(location));
      expect(multivariant.status).toBe(200);
      const session = location.slice(0, location.indexOf('/recordings/'));
      const segment = await fetch(url(`${session}/recordings/${id}/video/1.m4s`), { headers: { range: 'bytes=0-7' } });
      expect([segment.status, (await segment.arrayBuffer()).byteLength]).toEqual([206, 8]);
      // A live session token for another key opens nothing of this recording.
      const other = signToken(SECRET, 'play', 'live', 'other', Math.floor(Date.now() / 1000) + 600);
      const otherSession = (await fetch(url(`/live/other/index.m3u8?token=${other}`), { redirect: 'manual' })).headers.get('location');
      if (otherSession !== null) expect((await fetch(url(`${otherSession.slice(0, otherSession.indexOf('/live/'))}/recordings/${id}/index.m3u8`))).status).toBe(403);
      const exported = await fetch(url(`/api/recordings/${enc(id)}/export?start=0&duration=2`));
      expect([exported.status, parseMp4(new Uint8Array(await exported.arrayBuffer())).tracks.length]).toEqual([200, 2]);
      expect((await fetch(url('/api/streams/live/cam/record/start'), { method: 'POST' })).status).toBe(404); // not live
      // An export left unread does not hold the server's close (preClose ends it).
      expect((await fetch(url(`/api/recordings/${enc(id)}/export?start=0&duration=20`))).status).toBe(200);
    } finally {
      await live.close();
      await rm(own, { recursive: true, force: true });
    }
  });
});

describe('docs/recording.md', () => {
  it.skipIf(!CURL)(`runs the curl commands of "Playback and VOD" and "Export" against a server with a recording: documented operations, documented answers${CURL ? '' : ' (skipped: curl not found)'}`, async () => {
    const page = readDoc('recording.md');
    const commands = ['Playback and VOD', 'Export']
      .flatMap((section) => codeBlocks(markdownSection(page, section), 'sh'))
      .flatMap((block) => block.split('\n'))
      .filter((line) => line.startsWith('curl '));
    expect(commands.length).toBeGreaterThanOrEqual(8);
    const own = await mkdtemp(join(tmpdir(), 'tidecast-recordings-docs-'));
    await writeRecording('live/cam/2026-12-07_12-00-00', 'complete', 'live', 'cam', own);
    const live = await startLiveServer({ record: { dir: own } });
    const base = live.httpUrl('').replace(/\/$/, '');
    const document = (await (await fetch(`${base}/api/openapi.json`)).json()) as ApiDocument;
    try {
      // The DELETE goes last: it removes the recording the others read.
      for (const command of [...commands.filter((c) => !c.includes('-X DELETE')), ...commands.filter((c) => c.includes('-X DELETE'))]) {
        const url = /'?http:\/\/localhost:8080(\/\S+?)'?(\s|$)/.exec(command)![1]!;
        const method = /-X (\w+)/.exec(command)?.[1] ?? 'GET';
        const operation = operationOf(document, method, url);
        expect(operation, `${method} ${url}`).toBeDefined();
        // The example's own trailing `# …` comment goes, so that the status can follow.
        const bare = command.replace(/\s+#.*$/, '').replaceAll('http://localhost:8080', base);
        const { stdout } = await run('bash', ['-c', `${bare} -w '\\n%{http_code}'`], { cwd: own });
        const status = stdout.slice(stdout.lastIndexOf('\n') + 1);
        expect({ command, documented: Object.keys(operation!.responses).includes(status) }).toEqual({ command, documented: true });
        expect(['401', '403', '404', '500'], command).not.toContain(method === 'POST' ? '' : status);
      }
      expect(parseMp4(new Uint8Array(await readFile(join(own, 'clip-progressive.mp4')))).tracks.length).toBe(2);
    } finally {
      await live.close();
      await rm(own, { recursive: true, force: true });
    }
  });
});

describe('GET /api/recordings/:id/export', () => {
  const exportUrl = (query: string): string => `/api/recordings/${enc(COMPLETE)}/export?${query}`;

  it('selects the segments of the range, each end at its nearest keyframe, of one init segment', () => {
    const playlist = ['#EXTM3U', '#EXT-X-MAP:URI="init-0.mp4"', '#EXTINF:2.000,', '0.m4s', '#EXTINF:2.000,', '1.m4s', '#EXT-X-DISCONTINUITY', '#EXT-X-MAP:URI="init-1.mp4"', '#EXTINF:2.000,', '5.m4s', '#EXTINF:2.000,', '6.m4s', '#EXT-X-ENDLIST'].join('\n');
    const segments = parseRecordingPlaylist(playlist);
    expect(segments.map((s) => [s.msn, s.startSeconds, s.map])).toEqual([[0, 0, 'init-0.mp4'], [1, 2, 'init-0.mp4'], [5, 4, 'init-1.mp4'], [6, 6, 'init-1.mp4']]);
    const msns = (start: number, duration: number): number[] => selectSegments(segments, start, duration).map((s) => s.msn);
    expect(msns(0, 2)).toEqual([0]);
    expect(msns(1, 2)).toEqual([0]); // each end to the nearest boundary: 0–2 s
    expect(msns(1.2, 2)).toEqual([1]); // 2–4 s
    expect(msns(0.5, 0.4)).toEqual([0]); // shorter than a segment: the one holding its start
    expect(msns(2, 1)).toEqual([1]);
    expect(msns(3, 4)).toEqual([1]); // the new init segment ends the export
    expect(msns(4, 10)).toEqual([5, 6]);
    expect(msns(8, 1)).toEqual([]);
    expect(parseRecordingPlaylist('#EXT-X-MAP:URI="../../etc/passwd"\n#EXTINF:2,\n0.m4s\n')[0]!.map).toBeUndefined();
  });

  it('answers one fMP4 file with both tracks, cut at the keyframes around the range, starting at 0 (mp4box.js, ffprobe)', async () => {
    const answer = await call('GET', exportUrl('start=4&duration=4'));
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toBe('video/mp4');
    expect(answer.headers['content-disposition']).toBe('attachment; filename="live-cam-4s.mp4"');
    expect([answer.headers['x-tidecast-export-start'], answer.headers['x-tidecast-export-duration']]).toEqual(['4.000', '4.000']);
    const file = new Uint8Array(answer.rawPayload);
    const parsed = parseMp4(file);
    expect(parsed.tracks.map((t) => [t.id, t.kind])).toEqual([[1, 'video'], [2, 'audio']]);
    expect(parsed.fragments.map((f) => f.sequenceNumber)).toEqual(parsed.fragments.map((_f, i) => i + 1));
    // The same samples as segments 2 and 3 of the recording, read with their own init segments; times moved to 0.
    for (const [id, name] of [[1, 'video'], [2, 'audio']] as const) {
      const original = parseMp4(concatBytes([inits.get(name)!, source.get(name)!.get(2)!, source.get(name)!.get(3)!]));
      const want = [...original.samples.values()][0]!;
      const got = parsed.samples.get(id)!;
      expect(got.length, name).toBe(want.length);
      expect(got.every((s, i) => Buffer.from(s.data).equals(Buffer.from(want[i]!.data)) && s.dts === got[0]!.dts + (want[i]!.dts - want[0]!.dts)), name).toBe(true);
      if (name === 'video') {
        expect(got.length).toBe(120);
        expect(got[0]!.isSync).toBe(true);
        expect(got[0]!.dts).toBe(0);
      }
    }
    if (ffprobe === undefined) return;
    const path = join(dir, 'export.mp4');
    await writeFile(path, file);
    const probed = await runFfprobeJson<{ format: { duration: string }; packets: Array<{ codec_type: string; pts_time: string }> }>(['-show_entries', 'format=duration:packet=codec_type,pts_time', path]);
    expect(Number(probed.format.duration)).toBeCloseTo(4, 0);
    const video = probed.packets.filter((p) => p.codec_type === 'video').map((p) => Number(p.pts_time));
    expect(video.length).toBe(120);
    expect(Math.max(...video) - Math.min(...video)).toBeCloseTo(4 - 1 / 30, 1);
  });

  it('snaps an unaligned range to the nearest keyframes (within one GOP of the asked duration), and refuses what it cannot make', async () => {
    const snapped = await call('GET', exportUrl('start=5&duration=2'));
    expect([snapped.headers['x-tidecast-export-start'], snapped.headers['x-tidecast-export-duration']]).toEqual(['4.000', '2.000']);
    const longer = await call('GET', exportUrl('start=2.8&duration=4.4'));
    expect([longer.headers['x-tidecast-export-start'], longer.headers['x-tidecast-export-duration']]).toEqual(['2.000', '6.000']);
    expect((await call('GET', exportUrl('start=500&duration=10'))).statusCode).toBe(400);
    expect((await call('GET', exportUrl('start=0&duration=2&format=mov'))).statusCode).toBe(400);
    expect((await call('GET', exportUrl('start=0&duration=0'))).statusCode).toBe(400);
    expect((await call('GET', exportUrl('start=-1&duration=2'))).statusCode).toBe(400);
    expect((await call('GET', `/api/recordings/${enc('live/cam/nope')}/export?start=0&duration=2`)).statusCode).toBe(404);
    const whole = await call('GET', exportUrl('start=0&duration=86400'));
    const all = parseMp4(new Uint8Array(whole.rawPayload));
    expect(all.samples.get(1)!.length).toBe(600);
    expect(Number(whole.headers['x-tidecast-export-duration'])).toBeCloseTo(20.1, 1);
  });

  it('format=mp4: a progressive file, its sample tables in one moov before the media, the same samples (mp4box.js, ffprobe)', async () => {
    const fragmented = parseMp4(new Uint8Array((await call('GET', exportUrl('start=4&duration=4'))).rawPayload));
    const answer = await call('GET', exportUrl('start=4&duration=4&format=mp4'));
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-length']).toBe(String(answer.rawPayload.byteLength));
    const bytes = answer.rawPayload;
    expect(['ftyp', 'moov'].map((t) => bytes.indexOf(Buffer.from(t)) - 4)).toEqual([0, bytes.readUInt32BE(0)]);
    expect(bytes.includes(Buffer.from('moof'))).toBe(false);
    const parsed = parseMp4(new Uint8Array(bytes));
    expect(parsed.tracks.map((t) => [t.id, t.kind])).toEqual([[1, 'video'], [2, 'audio']]);
    for (const id of [1, 2]) {
      const want = fragmented.samples.get(id)!;
      const got = parsed.samples.get(id)!;
      expect(got.length).toBe(want.length);
      expect(got.every((s, i) => s.dts === want[i]!.dts - want[0]!.dts && s.cts - s.dts === want[i]!.cts - want[i]!.dts && s.isSync === want[i]!.isSync && Buffer.from(s.data).equals(Buffer.from(want[i]!.data))), String(id)).toBe(true);
    }
    if (ffprobe === undefined) return;
    const path = join(dir, 'export-progressive.mp4');
    await writeFile(path, bytes);
    const probed = await runFfprobeJson<{ format: { duration: string }; streams: Array<{ codec_type: string; nb_read_packets: string }> }>(['-count_packets', '-show_entries', 'format=duration:stream=codec_type,nb_read_packets', path]);
    expect(Number(probed.format.duration)).toBeCloseTo(4, 0);
    expect(probed.streams.find((s) => s.codec_type === 'video')!.nb_read_packets).toBe('120');
  });

  it('the export\'s header sits before every fragment and its mehd gives the length', async () => {
    const answer = await call('GET', exportUrl('start=0&duration=2'));
    const bytes = answer.rawPayload;
    expect(bytes.toString('latin1', 4, 8)).toBe('ftyp');
    expect(bytes.includes(Buffer.from('styp'))).toBe(false);
    const mehd = bytes.indexOf(Buffer.from('mehd'));
    expect(bytes.readUInt32BE(mehd + 8)).toBe(2000);
    expect(await readFile(join(dir, COMPLETE, 'video', '0.m4s'))).toEqual(Buffer.from(source.get('video')!.get(0)!)); // the recording is untouched
  });
});
