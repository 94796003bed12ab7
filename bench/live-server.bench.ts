import { appendFileSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { readFlvFile, type FlvFileTag } from '../src/flv/index.js';
import { RtmpClient, type PublishingStream } from '../src/rtmp/index.js';
import { DEFAULT_WINDOW_SEGMENTS } from '../src/hls/index.js';
import { HlsReader, POLL_MS } from './hls-reader.js';
import { liveTargets, type LiveTarget, type ListedSegment } from './live-targets.js';
import type { ProcUsage } from './proc-usage.js';
import { benchFlvPath } from './recording.js';

/**
 * The live server under N concurrent 1080p 6 Mb/s publishers (issue "The live server", item 7),
 * tidecast and nginx-rtmp side by side: each server runs alone in its own process (tidecast:
 * bench/live-server-child.ts, LL-HLS on as by default; nginx: bench/nginx-rtmp.ts), one after the
 * other for each N, under the same load from this process: N RtmpClients replaying the 20 s 1080p
 * recording at real time, each with an HLS reader (bench/hls-reader.ts) reloading its media
 * playlists and fetching every new segment (tidecast: video/plain.m3u8 and audio/plain.m3u8;
 * nginx: /hls/<key>.m3u8, audio and video muxed in MPEG-TS). Reported per server and N:
 *
 * - CPU % of one core per stream: the server's CPU time over the publishing window (/proc, all its
 *   threads; nginx's master and worker) ÷ wall time ÷ N;
 * - RSS of the server at the end of the window (after a full GC in tidecast's child), and its
 *   growth per stream over the idle server; beside it (tidecast), a stream's window: the bytes of
 *   the last 6 segments listed of each rendition, the yardstick of the memory target;
 * - tidecast only: ingest-to-playlist delay, from this process writing the keyframe that closes a
 *   segment to the child listing that segment (both clocks are performance.timeOrigin-based epoch
 *   ms on one machine), median and p95 over every segment of every stream. A segment can only be
 *   listed once its successor's keyframe arrives (its last frame's duration comes from that), so
 *   this is the delay the server adds after the data that completes a segment is on the socket;
 * - what the readers got: files read whole (init and media segments) and failed requests.
 */

interface LiveRow {
  server: string;
  publishers: number;
  staggered: boolean;
  seconds: number;
  cpuPercentPerStream: number;
  rssMB: number;
  rssPerStreamMB: number;
  /** tidecast: the bytes of the last windowSegments segments of every rendition, mean over streams. */
  windowPerStreamMB: number | undefined;
  delayMedianMs: number | undefined;
  delayP95Ms: number | undefined;
  segments: number | undefined;
  filesRead: number;
  readErrors: number;
}

const epochMs = (): number => performance.timeOrigin + performance.now();

export async function liveServerBench(options: { quick: boolean }): Promise<string> {
  // Each N with every publisher started at once (their keyframes go out in the same tick), and at 32
  // once more with the starts spread over a keyframe interval, as independent encoders are.
  // TIDECAST_BENCH_COUNTS=32,32s picks cases ('s': staggered).
  const given = process.env['TIDECAST_BENCH_COUNTS']?.split(',');
  const cases = (options.quick ? ['1', '2'] : (given ?? ['1', '8', '32', '32s'])).map((c) => ({ n: Number(c.replace('s', '')), staggered: c.endsWith('s') }));
  // The full run lasts past the 12 s window plus the 7 segments kept after it (RFC 8216bis 6.2.2),
  // so the RSS read at its end is a stream's steady state, not its first seconds.
  const seconds = options.quick ? 6 : 40;
  const tags = readFlvFile(readFileSync(await benchFlvPath(options.quick ? undefined : 60))).tags;
  const { targets, notes } = liveTargets(options.quick);
  const rows: LiveRow[] = [];
  // Interleaved: both servers at one N before the next N, in alternating order, so a change in
  // the machine's load falls on both.
  for (const [i, { n, staggered }] of cases.entries()) {
    const order = i % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) rows.push(await runOnce(target, n, staggered, seconds, tags));
  }
  return [...notes, render(rows)].join('\n');
}

async function runOnce(target: LiveTarget, n: number, staggered: boolean, seconds: number, tags: readonly FlvFileTag[]): Promise<LiveRow> {
  const server = await target.start();
  try {
    const idle = server.usage();
    const keys = Array.from({ length: n }, (_, i) => `bench${i}`);
    const clients = await Promise.all(keys.map((key) => RtmpClient.connect(server.rtmpUrl).then(async (c) => ({ c, s: await c.publish(key) }))));
    // Reloads spread over the poll interval, as independent viewers' are.
    const readers = keys.map((key, i) => new HlsReader(server.playlistUrls(key), (i * POLL_MS) / n));
    const keyframeSentAt = clients.map(() => new Map<number, number>());
    const start = server.usage();
    await replay(clients.map((x) => x.s), tags, seconds, keyframeSentAt, staggered);
    const end = server.usage();
    // RSS once the garbage of the window is collected (tidecast: a full GC in the child; nginx
    // frees as it goes): what the server holds, not what V8 has not got round to releasing.
    await server.settle?.();
    const held = server.usage();
    const read = await Promise.all(readers.map((r) => r.stop()));
    for (const { c, s } of clients) {
      s.unpublish();
      await c.close();
    }
    const delays = server.listed === undefined ? undefined : segmentDelays(server.listed.filter((l) => l.track === 'video'), keyframeSentAt, tags);
    return {
      server: target.name,
      publishers: n,
      staggered,
      seconds,
      cpuPercentPerStream: cpuPercent(start, end) / n,
      rssMB: held.rssBytes / 1e6,
      rssPerStreamMB: (held.rssBytes - idle.rssBytes) / 1e6 / n,
      windowPerStreamMB: server.listed === undefined ? undefined : windowBytes(server.listed) / 1e6 / n,
      delayMedianMs: delays && percentile(delays, 0.5),
      delayP95Ms: delays && percentile(delays, 0.95),
      segments: delays?.length,
      filesRead: read.reduce((sum, r) => sum + r.files, 0),
      readErrors: read.reduce((sum, r) => sum + r.errors, 0),
    };
  } finally {
    await server.stop();
  }
}

function cpuPercent(start: ProcUsage, end: ProcUsage): number {
  return ((end.cpuMs - start.cpuMs) / (end.atMs - start.atMs)) * 100;
}

/**
 * Writes every publisher's tags at real time (a 5 ms tick), recording when each video keyframe went
 * out. All publishers replay one recording: started together (`offsets` all 0) every stream's
 * keyframe goes out in the same tick, which real encoders never do; `staggered` spreads their
 * starts over one keyframe interval (2 s) instead.
 */
async function replay(streams: PublishingStream[], tags: readonly FlvFileTag[], seconds: number, keyframeSentAt: Map<number, number>[], staggered: boolean): Promise<void> {
  const limitMs = seconds * 1000;
  const offsets = streams.map((_, i) => (staggered ? Math.round((i * 2000) / streams.length) : 0));
  const next = streams.map(() => 0);
  const startedAt = epochMs();
  while (next.some((n, i) => n < tags.length && tags[n]!.timestamp + offsets[i]! <= limitMs)) {
    const due = epochMs() - startedAt;
    streams.forEach((s, i) => {
      for (; next[i]! < tags.length && tags[next[i]!]!.timestamp + offsets[i]! <= Math.min(due, limitMs); next[i]!++) {
        const t = tags[next[i]!]!;
        if (t.type === 9) {
          // Taken before the write: on loopback the server may list the segment before the write returns.
          if (t.body[0]! >> 4 === 1 && t.body[1] === 1) keyframeSentAt[i]!.set(t.timestamp, epochMs());
          s.writeVideo(t.timestamp, t.body);
        } else if (t.type === 8) s.writeAudio(t.timestamp, t.body);
        else s.writeDataPayload(t.timestamp, t.body);
      }
    });
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 300));
}

/** Segment n of a stream ends where the keyframe that opened segment n+1 starts. */
function segmentDelays(listed: readonly ListedSegment[], keyframeSentAt: Map<number, number>[], tags: readonly FlvFileTag[]): number[] {
  const firstVideoMs = tags.find((t) => t.type === 9 && t.body[1] === 1)?.timestamp ?? 0;
  const delays: number[] = [];
  const byStream = new Map<string, ListedSegment[]>();
  for (const l of listed) byStream.set(l.streamKey, [...(byStream.get(l.streamKey) ?? []), l]);
  for (const [key, segments] of byStream) {
    const sent = keyframeSentAt[Number(key.replace('bench', ''))]!;
    let endMs = firstVideoMs;
    for (const seg of segments.sort((a, b) => a.msn - b.msn)) {
      endMs += seg.durationSeconds * 1000;
      const closing = [...sent.keys()].find((ts) => Math.abs(ts - endMs) < 2);
      if (closing !== undefined) {
        delays.push(seg.listedAtMs - sent.get(closing)!);
        // TIDECAST_BENCH_RAW=<file>: each delay's stream, msn, keyframe sent and segment listed (epoch ms), for analysis.
        if (process.env['TIDECAST_BENCH_RAW']) appendFileSync(process.env['TIDECAST_BENCH_RAW'], `${key} ${seg.msn} ${sent.get(closing)!.toFixed(3)} ${seg.listedAtMs.toFixed(3)}\n`);
      }
    }
  }
  return delays;
}

/** The default window: the bytes of each stream's last 6 segments of each rendition, summed over streams. */
function windowBytes(listed: readonly ListedSegment[]): number {
  const byRendition = new Map<string, number[]>();
  for (const l of listed) byRendition.set(`${l.streamKey}/${l.track}`, [...(byRendition.get(`${l.streamKey}/${l.track}`) ?? []), l.byteLength]);
  let bytes = 0;
  for (const sizes of byRendition.values()) for (const b of sizes.slice(-DEFAULT_WINDOW_SEGMENTS)) bytes += b;
  return bytes;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function render(rows: LiveRow[]): string {
  const opt = (v: number | undefined, digits: number): string => (v === undefined ? '–' : v.toFixed(digits));
  const lines = [
    '| server | publishers | starts | seconds | CPU % of a core per stream | server RSS MB | RSS per stream MB | window per stream MB | delay median ms | delay p95 ms | segments listed | files read | read errors |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.server} | ${r.publishers} | ${r.staggered ? 'staggered' : 'together'} | ${r.seconds} | ${r.cpuPercentPerStream.toFixed(2)} | ${r.rssMB.toFixed(0)} | ${r.rssPerStreamMB.toFixed(2)} | ${opt(r.windowPerStreamMB, 2)} | ${opt(r.delayMedianMs, 2)} | ${opt(r.delayP95Ms, 2)} | ${opt(r.segments, 0)} | ${r.filesRead} | ${r.readErrors} |`,
    ),
  ];
  return lines.join('\n');
}
