import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonFileJobStore, RedisJobStore, type JobStore } from '../../src/transcode/index.js';
import { ffmpegPath, fixturePath, spawnFfmpeg, type FfmpegRun } from '../helpers/ffmpeg.js';
import { withTimeout } from '../helpers/process.js';
import { getText, startLiveServer, waitUntil, type LiveServer } from '../helpers/live.js';
import { REDIS_SKIP_REASON, redisServerPath, startRedis, type RedisServer } from '../helpers/redis.js';

/*
 * Issue 10, "Done when" 5: the live job API end to end. A job is created (201, its key and URLs),
 * ffmpeg publishes with the returned key and URL, the job runs with per-rung frame rates, stop
 * ends ffmpeg (none left in the process table) and the playlists (ENDLIST) and refuses the key,
 * resume plays again at the same URLs, delete forgets it. Bad specs are 400s naming each field
 * path, unknown ids 404, ezLiveStreaming's sample job is accepted, and jobs survive a server
 * restart with the JSON state file and with Redis (a real redis-server on a free port).
 */

const ffmpeg = await ffmpegPath();
const LADDER = { rungs: [{ codec: 'copy', name: 'src' }, { codec: 'h264', height: 120, bitrateKbps: 150, preset: 'ultrafast' }] };

interface JobBody {
  id: string;
  state: string;
  streamKey: string;
  rtmpUrl: string;
  playback: { url: string; hls: string; dash: string; dashLowLatency: string; ts: string };
  crashes: number;
  history: Array<{ state: string }>;
  ladder?: { state: string; pid?: number; rungs: Array<{ name: string; fps: number; frames: number }> };
  problems?: Array<{ path: string; message: string }>;
}

async function api(live: LiveServer, method: string, path: string, body?: unknown): Promise<{ status: number; json: JobBody & { jobs?: JobBody[]; next?: string } }> {
  const res = await fetch(live.httpUrl(path.slice(1)), { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
  const text = await res.text();
  return { status: res.status, json: text === '' ? ({} as never) : JSON.parse(text) };
}

/** ffmpeg processes whose parent is this test process (the server runs in it), besides the publishers. */
function ffmpegChildren(publishers: ReadonlyArray<FfmpegRun | undefined> = []): number[] {
  const exclude = new Set(publishers.map((p) => p?.child.pid));
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (comm === 'ffmpeg' && Number(fields[1]) === process.pid && fields[0] !== 'Z' && !exclude.has(Number(name))) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function publish(rtmpUrl: string, seconds: number): Promise<FfmpegRun> {
  return spawnFfmpeg(
    ['-v', 'error', '-re', '-stream_loop', '-1', '-i', fixturePath('media/h264-aac.flv'), '-t', String(seconds), '-c', 'copy', '-f', 'flv', rtmpUrl],
    { timeoutMs: (seconds + 20) * 1000 },
  );
}

describe.skipIf(ffmpeg === undefined)('the live job API', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidecast-jobs-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('create → publish → running with per-rung fps → stop (ffmpeg gone, ENDLIST, key refused) → resume (plays again, same URLs) → delete', async () => {
    const live = await startLiveServer({ endGraceMs: 500, jobs: { store: new JsonFileJobStore(join(dir, 'e2e.json')) } });
    let run: FfmpegRun | undefined;
    try {
      const created = await api(live, 'POST', '/api/jobs', { ladder: LADDER, output: { segmentSeconds: 2, lowLatency: true } });
      expect(created.status).toBe(201);
      const job = created.json;
      expect(job.state).toBe('waiting');
      expect(job.streamKey).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(job.rtmpUrl).toBe(`rtmp://127.0.0.1:${live.server.rtmp.address()!.port}/live/${job.streamKey}`);
      expect(job.playback.hls).toBe(live.httpUrl(`live/${job.streamKey}/index.m3u8`));

      run = await publish(job.rtmpUrl, 60);
      await waitUntil(async () => (await api(live, 'GET', `/api/jobs/${job.id}`)).json.state === 'running', 15_000, 'job running');
      await waitUntil(async () => ((await api(live, 'GET', `/api/jobs/${job.id}`)).json.ladder?.rungs.find((r) => r.name === '120p')?.fps ?? 0) > 20, 15_000, 'rung fps');
      const running = (await api(live, 'GET', `/api/jobs/${job.id}`)).json;
      expect(running.ladder!.rungs.map((r) => r.name)).toEqual(['src', '120p']);
      await waitUntil(async () => (await getText(job.playback.hls))?.includes('120p/index.m3u8') === true, 15_000, 'multivariant with the rung');
      // Other test files may run ffmpeg in this same process: the ladder's is the one the job names.
      const ladderPid = running.ladder!.pid!;
      expect(ffmpegChildren([run])).toContain(ladderPid);

      const stopped = await api(live, 'POST', `/api/jobs/${job.id}/stop`);
      expect(stopped.status).toBe(200);
      expect(stopped.json.state).toBe('stopped');
      await waitUntil(() => !ffmpegChildren([run]).includes(ladderPid) && !existsSync(`/proc/${ladderPid}`), 5000, 'the ladder ffmpeg gone after stop');
      for (const rendition of ['src', '120p', 'audio']) {
        await waitUntil(async () => (await getText(live.httpUrl(`live/${job.streamKey}/${rendition}/index.m3u8`)))?.includes('#EXT-X-ENDLIST') === true, 5000, `ENDLIST in ${rendition}`);
      }
      const publisher = await withTimeout(run.done, 10_000, 'publisher disconnected by stop');
      expect(publisher.code).not.toBe(0);
      const refused = await publish(job.rtmpUrl, 2);
      expect((await withTimeout(refused.done, 15_000, 'refused publisher')).code).not.toBe(0);
      expect((await api(live, 'POST', `/api/jobs/${job.id}/stop`)).status).toBe(409);

      const resumed = await api(live, 'POST', `/api/jobs/${job.id}/resume`);
      expect(resumed.status).toBe(200);
      expect(resumed.json).toMatchObject({ id: job.id, state: 'waiting', streamKey: job.streamKey, rtmpUrl: job.rtmpUrl, playback: job.playback });
      run = await publish(job.rtmpUrl, 60);
      await waitUntil(async () => (await api(live, 'GET', `/api/jobs/${job.id}`)).json.state === 'running', 15_000, 'job running again');
      const againPid = (await api(live, 'GET', `/api/jobs/${job.id}`)).json.ladder!.pid!;
      await waitUntil(async () => {
        const text = await getText(live.httpUrl(`live/${job.streamKey}/120p/index.m3u8`));
        return text !== undefined && !text.includes('#EXT-X-ENDLIST') && text.includes('#EXT-X-DISCONTINUITY');
      }, 15_000, 'the same playlist URL plays again, after a discontinuity');

      expect((await api(live, 'DELETE', `/api/jobs/${job.id}`)).status).toBe(204);
      await waitUntil(() => !existsSync(`/proc/${againPid}`), 5000, 'the ladder ffmpeg gone after delete');
      expect((await api(live, 'GET', `/api/jobs/${job.id}`)).status).toBe(404);
      await withTimeout(run.done, 10_000, 'publisher disconnected by delete');
    } finally {
      await live.close();
    }
  }, 120_000);

  it('400 names each bad field path, 404 for unknown ids, ezLiveStreaming sample accepted, list paginates', async () => {
    const live = await startLiveServer({ jobs: { store: new JsonFileJobStore(join(dir, 'errors.json')) } });
    try {
      const bad = await api(live, 'POST', '/api/jobs', { ladder: { rungs: [{ codec: 'h264', height: 100000, bitrateKbps: -1 }, { codec: 'vp8' }] }, output: { segmentSeconds: 'two' } });
      expect(bad.status).toBe(400);
      const paths = bad.json.problems!.map((p) => p.path);
      expect(paths).toEqual(expect.arrayContaining(['ladder.rungs[0].height', 'ladder.rungs[0].bitrateKbps', 'ladder.rungs[1].codec', 'output.segmentSeconds']));
      // streamType and segmentFormat pick playback.url; every output is listed.
      for (const [output, file] of [[{}, 'index.m3u8'], [{ streamType: 'dash' }, 'manifest-ll.mpd'], [{ streamType: 'dash', lowLatency: false }, 'manifest.mpd'], [{ segmentFormat: 'mpegts' }, 'ts.m3u8']] as const) {
        const made = await api(live, 'POST', '/api/jobs', { ladder: LADDER, output });
        expect(made.status).toBe(201);
        const base = live.httpUrl(`live/${made.json.streamKey}/`);
        expect(made.json.playback).toEqual({ url: base + file, hls: `${base}index.m3u8`, dash: `${base}manifest.mpd`, dashLowLatency: `${base}manifest-ll.mpd`, ts: `${base}ts.m3u8` });
        expect((await api(live, 'DELETE', `/api/jobs/${made.json.id}`)).status).toBe(204);
      }
      expect((await api(live, 'POST', '/api/jobs', { ladder: LADDER, output: { streamType: 'dash', segmentFormat: 'mpegts' } })).json.problems!.map((p) => p.path)).toEqual(['output.segmentFormat']);
      const ezls = JSON.parse(readFileSync(fixturePath('jobs/ezls-sample-job.json'), 'utf8')) as { Output: { Video_outputs: Array<Record<string, unknown>> } };
      const badEzls = structuredClone(ezls);
      badEzls.Output.Video_outputs[1]!['Bitrate'] = 'fast';
      expect((await api(live, 'POST', '/api/jobs', badEzls)).json.problems!.map((p) => p.path)).toContain('Output.Video_outputs[1].Bitrate');
      expect((await api(live, 'GET', '/api/jobs/nope')).status).toBe(404);
      expect((await api(live, 'POST', '/api/jobs/nope/stop')).status).toBe(404);
      expect((await api(live, 'DELETE', '/api/jobs/nope')).status).toBe(404);
      const accepted = await api(live, 'POST', '/api/jobs', ezls);
      expect(accepted.status).toBe(201);
      for (let i = 0; i < 4; i++) expect((await api(live, 'POST', '/api/jobs', { ladder: 'default' })).status).toBe(201);
      const first = await api(live, 'GET', '/api/jobs?limit=2');
      expect(first.json.jobs!.map((j) => j.id)).toHaveLength(2);
      const second = await api(live, 'GET', `/api/jobs?limit=2&after=${first.json.next}`);
      const third = await api(live, 'GET', `/api/jobs?limit=2&after=${second.json.next}`);
      const ids = [...first.json.jobs!, ...second.json.jobs!, ...third.json.jobs!].map((j) => j.id);
      expect(new Set(ids).size).toBe(5);
      expect(third.json.next).toBeUndefined();
      expect((await api(live, 'GET', '/api/jobs?limit=0')).status).toBe(400);
    } finally {
      await live.close();
    }
  }, 30_000);

  async function survivesRestart(store: () => JobStore): Promise<void> {
    const first = await startLiveServer({ jobs: { store: store() } });
    let created: JobBody;
    let stopped: JobBody;
    try {
      created = (await api(first, 'POST', '/api/jobs', { ladder: LADDER })).json;
      stopped = (await api(first, 'POST', '/api/jobs', { ladder: 'default' })).json;
      await api(first, 'POST', `/api/jobs/${stopped.id}/stop`);
    } finally {
      await first.close();
    }
    const second = await startLiveServer({ jobs: { store: store() } });
    try {
      expect((await api(second, 'GET', `/api/jobs/${created.id}`)).json).toMatchObject({ id: created.id, streamKey: created.streamKey, state: 'waiting' });
      expect((await api(second, 'GET', `/api/jobs/${stopped.id}`)).json).toMatchObject({ id: stopped.id, state: 'stopped' });
    } finally {
      await second.close();
    }
  }

  it('jobs survive a restart with the JSON state file', async () => {
    const file = join(dir, 'restart.json');
    await survivesRestart(() => new JsonFileJobStore(file));
    expect(existsSync(file)).toBe(true);
  }, 30_000);

  describe.skipIf(redisServerPath === undefined)(`with Redis${REDIS_SKIP_REASON}`, () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      await redis?.stop();
    });
    it('jobs survive a restart with Redis', async () => {
      await survivesRestart(() => new RedisJobStore({ url: redis.url }));
    }, 30_000);
  });
});
