import { spawn, type ChildProcess } from 'node:child_process';
import { locateFfmpeg } from '../src/transcode/index.js';
import { mediaUris } from './hls-reader.js';
import { liveTargets, type LiveTarget, type RunningServer } from './live-targets.js';
import { killPid } from './proc-usage.js';
import { benchFlvPath } from './recording.js';
import { findWrk, runWrk, type WrkResult } from './wrk.js';

/**
 * Serving a live stream's files over HTTP, tidecast against nginx-rtmp: both servers run at once
 * (each alone in its process, as in live-server.bench.ts), each with one live stream published by
 * its own `ffmpeg -re -stream_loop -1 -c copy` of the 20 s 1080p recording. Then wrk
 * (`-t2 -c50 -d10s --latency`, 2 s with --quick) against each server in turn, alternating which
 * goes first, for two URLs:
 *
 *   playlist   tidecast live/<key>/video/plain.m3u8 (no LL-HLS tags, not blocking); nginx hls/<key>.m3u8
 *   segment    the newest segment that playlist lists when the case starts: a 2 s fMP4 video
 *              segment (about 1.5 MB) from tidecast, a 2 s MPEG-TS fragment (video and audio) from nginx
 *
 * Rounds: 3 (1 with --quick); each figure is the median over rounds. Both windows keep a segment
 * listed for 12 s and on disk or in memory longer, so the segment answers 200 throughout a 10 s run.
 */

const KEY = 'serve';
const WRK = { threads: 2, connections: 50 };
/** How long to wait for each server to list its first segments. */
const FIRST_SEGMENTS_TIMEOUT_MS = 20_000;
/** Segments listed before the runs start: the window has begun to fill. */
const SEGMENTS_BEFORE_START = 2;

interface ServingRow {
  url: 'playlist' | 'segment';
  server: string;
  bodyBytes: number;
  runs: WrkResult[];
}

export async function servingBench(options: { quick: boolean }): Promise<string> {
  const wrk = findWrk();
  const { targets, notes } = liveTargets(options.quick);
  if (wrk === undefined) {
    if (!options.quick) throw new Error('the serving bench needs wrk (Debian: apt-get install wrk)');
    return 'serving bench skipped: wrk is not installed (Debian: apt-get install wrk)';
  }
  const ffmpeg = await locateFfmpeg();
  if (ffmpeg === undefined) throw new Error('the serving bench needs ffmpeg to publish');
  const seconds = options.quick ? 2 : 10;
  const rounds = options.quick ? 1 : 3;
  const flv = await benchFlvPath();
  const servers: { target: LiveTarget; server: RunningServer; publisher: ChildProcess }[] = [];
  try {
    for (const target of targets) {
      const server = await target.start();
      const publishSeconds = rounds * targets.length * 2 * (seconds + 2) + 60;
      const publisher = spawn(
        ffmpeg.path,
        ['-hide_banner', '-nostdin', '-v', 'error', '-re', '-stream_loop', '-1', '-i', flv, '-t', String(publishSeconds), '-c', 'copy', '-f', 'flv', `${server.rtmpUrl}/${KEY}`],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      servers.push({ target, server, publisher });
    }
    for (const { server } of servers) await waitForSegments(server.playlistUrls(KEY)[0]!);
    const rows = new Map<string, ServingRow>();
    for (let round = 0; round < rounds; round++) {
      for (const url of ['playlist', 'segment'] as const) {
        const order = round % 2 === 0 ? servers : [...servers].reverse();
        for (const { target, server } of order) {
          const request = await caseUrl(server.playlistUrls(KEY)[0]!, url);
          const result = await runWrk(wrk, request.url, { ...WRK, seconds });
          const row = rows.get(`${url} ${target.name}`) ?? { url, server: target.name, bodyBytes: request.bodyBytes, runs: [] };
          row.runs.push(result);
          rows.set(`${url} ${target.name}`, row);
        }
      }
    }
    return [...notes, `wrk -t${WRK.threads} -c${WRK.connections} -d${seconds}s --latency, median of ${rounds} run${rounds > 1 ? 's' : ''} per row:`, render([...rows.values()])].join('\n');
  } finally {
    for (const { server, publisher } of servers) {
      killPid(publisher.pid);
      await server.stop();
    }
  }
}

async function waitForSegments(playlistUrl: string): Promise<void> {
  const deadline = Date.now() + FIRST_SEGMENTS_TIMEOUT_MS;
  for (;;) {
    const answer = await fetch(playlistUrl).catch(() => undefined);
    const text = answer?.ok === true ? await answer.text() : '';
    if (segmentUris(text).length >= SEGMENTS_BEFORE_START) return;
    if (Date.now() > deadline) throw new Error(`${playlistUrl} listed fewer than ${SEGMENTS_BEFORE_START} segments in ${FIRST_SEGMENTS_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Segment URIs only (EXT-X-MAP's is an init segment). */
function segmentUris(playlist: string): string[] {
  return mediaUris(playlist).filter((uri) => !uri.includes('init'));
}

/** The URL a case requests and the size of its answer's body. */
async function caseUrl(playlistUrl: string, url: 'playlist' | 'segment'): Promise<{ url: string; bodyBytes: number }> {
  const playlist = await (await fetch(playlistUrl)).text();
  if (url === 'playlist') return { url: playlistUrl, bodyBytes: Buffer.byteLength(playlist) };
  const newest = new URL(segmentUris(playlist).at(-1)!, playlistUrl).href;
  const answer = await fetch(newest);
  if (!answer.ok) throw new Error(`${newest}: ${answer.status}`);
  return { url: newest, bodyBytes: (await answer.arrayBuffer()).byteLength };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function render(rows: ServingRow[]): string {
  const m = (r: ServingRow, pick: (w: WrkResult) => number): number => median(r.runs.map(pick));
  return [
    '| URL | server | body KB | req/s | MB/s | p99 ms | non-2xx + socket errors |',
    '|---|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.url} | ${r.server} | ${(r.bodyBytes / 1e3).toFixed(1)} | ${m(r, (w) => w.requestsPerSecond).toFixed(0)} | ${m(r, (w) => w.megabytesPerSecond).toFixed(0)} | ${m(r, (w) => w.p99Ms).toFixed(2)} | ${r.runs.reduce((n, w) => n + w.errors, 0)} |`,
    ),
  ].join('\n');
}
