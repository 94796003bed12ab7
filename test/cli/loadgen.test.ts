import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runLoadgen, type LoadgenReport } from '../../src/cli/loadgen.js';
import { createMediaServer } from '../../src/server/index.js';
import { fixturePath } from '../helpers/ffmpeg.js';
import { killByPid } from '../helpers/process.js';

/**
 * `tidecast loadgen` end to end: a real createMediaServer on loopback ports 0, published in real time
 * by the load generator's own RTMP publisher (the 10 s h264-aac fixture), 20 virtual LL-HLS viewers
 * for 8 s in this process and, beside them, the CLI itself (`tidecast loadgen … --json -`, a process
 * of its own) with 2 viewers of the same stream.
 */

const root = new URL('../../', import.meta.url).pathname;
const VIEWERS = 20;
const DURATION_S = 8;

/** Runs `tidecast loadgen …args` (tsx as a loader); resolves with its exit code and standard output. */
function loadgenCli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import=tsx', 'src/cli/main.ts', 'loadgen', ...args], { cwd: root });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const limit = setTimeout(() => killByPid(child), 30_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(limit);
      resolve({ code, out, err });
    }),
  );
}

describe('tidecast loadgen against a live server', () => {
  it(`${VIEWERS} viewers for ${DURATION_S} s of a real-time publish: every request 200, continuity, counts that add up`, async () => {
    const server = createMediaServer({ rtmp: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1' }, endGraceMs: 500 });
    const { rtmp, http } = await server.listen();
    const published = { video: 0, audio: 0 };
    server.on('part', (_stream, p) => (published[p.track === 'video' ? 'video' : 'audio'] += 1));
    try {
      const url = `http://127.0.0.1:${http.port}/live/lg/index.m3u8`;
      const run = runLoadgen({ url, viewers: VIEWERS, durationSeconds: DURATION_S, rampSeconds: 1, publishers: 1, publishUrl: `rtmp://127.0.0.1:${rtmp.port}/live/lg`, file: fixturePath('media/h264-aac.flv') });
      // The CLI's viewers join the same stream once it is published (they wait on 404 until then).
      const cli = loadgenCli(['--url', url, '--viewers', '2', '--duration', '5', '--ramp', '0', '--json', '-']);
      const report = await run;
      const fromCli = await cli;

      expect(report.viewers).toMatchObject({ planned: VIEWERS, joined: VIEWERS });
      expect(report.errors).toEqual({ notFound: 0, serverErrors: 0, network: 0 });
      expect(report.continuity).toEqual({ errors: 0, first: [] });
      for (const [kind, k] of Object.entries(report.kinds)) expect(Object.keys(k.statuses), kind).toEqual(['200']);
      const k = report.kinds;
      // Each viewer: one multivariant, then per rendition (video, audio) a plain load and an init segment.
      expect(k.multivariant?.count).toBe(VIEWERS);
      expect(k.playlist?.count).toBe(2 * VIEWERS);
      expect(k.init?.count).toBe(2 * VIEWERS);
      // One hinted part beside each blocking reload (both wait for the same part).
      const blocking = k.blocking!.count;
      expect(k['hinted-part']!.count).toBeLessThanOrEqual(blocking);
      expect(k['hinted-part']!.count).toBeGreaterThan(0.9 * blocking);
      // Parts: each viewer gets each part published after it joined once — never more than every part
      // of both renditions, and, joined after the first segment (~2 s) over a 1 s ramp, at least half.
      const parts = (k.part?.count ?? 0) + k['hinted-part']!.count;
      const publishedParts = published.video + published.audio;
      expect(parts).toBeLessThanOrEqual(VIEWERS * publishedParts);
      expect(parts).toBeGreaterThan(0.5 * VIEWERS * publishedParts);
      // …which is about viewers × renditions × (duration − first segment − ramp / 2) / part target (0.2 s).
      expect(parts).toBeGreaterThan((VIEWERS * 2 * (DURATION_S - 4)) / 0.2);
      expect(parts).toBeLessThan((VIEWERS * 2 * DURATION_S) / 0.2);
      // Hinted parts arrive right after their availability (no cache in front, loopback); listed ones are the catch-up at the start.
      expect(report.partDelayMs.hinted.count).toBe(k['hinted-part']!.count - countUnlisted(report));
      expect(report.partDelayMs.hinted.p50).toBeLessThan(200);
      expect(report.partDelayMs.hinted.p50).toBeGreaterThan(-100);
      expect(k.blocking!.cache).toEqual({ hits: 0, misses: 0, unknown: blocking });
      expect(report.publishers).toHaveLength(1);
      expect(report.publishers[0]).toMatchObject({ error: undefined, loops: 0 });
      expect(report.publishers[0]!.tags).toBeGreaterThan(400);
      expect(report.publishers[0]!.maxLateMs).toBeLessThan(1000);

      expect(fromCli.code, fromCli.err).toBe(0);
      const cliReport = JSON.parse(fromCli.out) as LoadgenReport;
      expect(cliReport.viewers).toMatchObject({ planned: 2, joined: 2 });
      expect(cliReport.errors).toEqual({ notFound: 0, serverErrors: 0, network: 0 });
      expect(cliReport.continuity.errors).toBe(0);
      expect(cliReport.kinds.blocking!.count).toBeGreaterThan(10);
    } finally {
      await server.close();
    }
  });

  it('a wrong option exits 1 naming it; --help prints the usage', async () => {
    const bad = await loadgenCli(['--url', 'http://127.0.0.1:1/x.m3u8', '--publishers', '1']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('option --publish-url must be an rtmp:// URL when --publishers > 0');
    const help = await loadgenCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: tidecast loadgen --url');
  });
});

/** Hinted parts received but not yet listed by a playlist when the run stopped (at most one per rendition per viewer). */
function countUnlisted(report: LoadgenReport): number {
  const unlisted = report.kinds['hinted-part']!.count - report.partDelayMs.hinted.count;
  expect(unlisted).toBeGreaterThanOrEqual(0);
  expect(unlisted).toBeLessThanOrEqual(2 * report.viewers.joined);
  return unlisted;
}
