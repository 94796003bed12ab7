import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { readFlvFile, type FlvFileTag } from '../src/flv/index.js';
import { RtmpClient, type PublishingStream } from '../src/rtmp/index.js';
import { benchFlvPath } from './recording.js';

/**
 * The live server under N concurrent 1080p 6 Mb/s publishers (issue "The live server", item 7):
 * the server runs alone in a child process (bench/live-server-child.ts); this process replays the
 * 20 s 1080p recording at real time from N RtmpClients. Reported per N:
 *
 * - CPU % of one core per stream: the child's CPU time over the measured window ÷ wall time ÷ N;
 * - RSS of the child at the end of the window, and its growth per stream over the idle server;
 * - ingest-to-playlist delay: from this process writing the keyframe that closes a segment to the
 *   child listing that segment (both clocks are performance.timeOrigin-based epoch ms on one
 *   machine), median and p95 over every segment of every stream. A segment can only be listed once
 *   its successor's keyframe arrives (its last frame's duration comes from that), so this is the
 *   delay the server adds after the data that completes a segment is on the socket.
 */

interface LiveRow {
  publishers: number;
  seconds: number;
  cpuPercentPerStream: number;
  rssMB: number;
  rssPerStreamMB: number;
  delayMedianMs: number;
  delayP95Ms: number;
  segments: number;
}

const epochMs = (): number => performance.timeOrigin + performance.now();

export async function liveServerBench(options: { quick: boolean }): Promise<string> {
  const counts = options.quick ? [1, 2] : [1, 8, 32];
  const seconds = options.quick ? 6 : 16;
  const tags = readFlvFile(readFileSync(await benchFlvPath())).tags;
  const rows: LiveRow[] = [];
  for (const n of counts) rows.push(await runOnce(n, seconds, tags));
  return render(rows);
}

async function runOnce(n: number, seconds: number, tags: readonly FlvFileTag[]): Promise<LiveRow> {
  const child = fork(new URL('./live-server-child.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const listed: { streamKey: string; msn: number; durationSeconds: number; listedAtMs: number }[] = [];
    child.on('message', (m: { type: string }) => {
      if (m.type === 'segment') listed.push(m as unknown as (typeof listed)[number]);
    });
    const { rtmpPort } = await message<{ rtmpPort: number }>(child, 'ready');
    const idle = await usage(child);
    const clients = await Promise.all(Array.from({ length: n }, (_, i) => RtmpClient.connect(`rtmp://127.0.0.1:${rtmpPort}/live`).then(async (c) => ({ c, s: await c.publish(`bench${i}`) }))));
    const keyframeSentAt = clients.map(() => new Map<number, number>());
    const start = await usage(child);
    await replay(clients.map((x) => x.s), tags, seconds, keyframeSentAt);
    const end = await usage(child);
    for (const { c, s } of clients) {
      s.unpublish();
      await c.close();
    }
    const delays = segmentDelays(listed, keyframeSentAt, tags);
    const wallMs = end.atMs - start.atMs;
    return {
      publishers: n,
      seconds,
      cpuPercentPerStream: ((end.cpuMicros - start.cpuMicros) / 1000 / wallMs / n) * 100,
      rssMB: end.rssBytes / 1e6,
      rssPerStreamMB: (end.rssBytes - idle.rssBytes) / 1e6 / n,
      delayMedianMs: percentile(delays, 0.5),
      delayP95Ms: percentile(delays, 0.95),
      segments: delays.length,
    };
  } finally {
    child.send({ type: 'stop' });
    await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 3000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** Writes every publisher's tags at real time (a 5 ms tick), recording when each video keyframe went out. */
async function replay(streams: PublishingStream[], tags: readonly FlvFileTag[], seconds: number, keyframeSentAt: Map<number, number>[]): Promise<void> {
  const limitMs = seconds * 1000;
  const startedAt = epochMs();
  let next = 0;
  while (next < tags.length && tags[next]!.timestamp <= limitMs) {
    const due = epochMs() - startedAt;
    for (; next < tags.length && tags[next]!.timestamp <= Math.min(due, limitMs); next++) {
      const t = tags[next]!;
      streams.forEach((s, i) => {
        if (t.type === 9) {
          s.writeVideo(t.timestamp, t.body);
          if (t.body[0]! >> 4 === 1 && t.body[1] === 1) keyframeSentAt[i]!.set(t.timestamp, epochMs());
        } else if (t.type === 8) s.writeAudio(t.timestamp, t.body);
        else s.writeDataPayload(t.timestamp, t.body);
      });
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 300));
}

/** Segment n of a stream ends where the keyframe that opened segment n+1 starts. */
function segmentDelays(listed: { streamKey: string; msn: number; durationSeconds: number; listedAtMs: number }[], keyframeSentAt: Map<number, number>[], tags: readonly FlvFileTag[]): number[] {
  const firstVideoMs = tags.find((t) => t.type === 9 && t.body[1] === 1)?.timestamp ?? 0;
  const delays: number[] = [];
  const byStream = new Map<string, typeof listed>();
  for (const l of listed) byStream.set(l.streamKey, [...(byStream.get(l.streamKey) ?? []), l]);
  for (const [key, segments] of byStream) {
    const sent = keyframeSentAt[Number(key.replace('bench', ''))]!;
    let endMs = firstVideoMs;
    for (const seg of segments.sort((a, b) => a.msn - b.msn)) {
      endMs += seg.durationSeconds * 1000;
      const closing = [...sent.keys()].find((ts) => Math.abs(ts - endMs) < 2);
      if (closing !== undefined) delays.push(seg.listedAtMs - sent.get(closing)!);
    }
  }
  return delays;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function message<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench child: no '${type}' in 20 s`)), 20_000);
    const on = (m: { type: string }): void => {
      if (m.type !== type) return;
      clearTimeout(timer);
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
  });
}

async function usage(child: ChildProcess): Promise<{ cpuMicros: number; rssBytes: number; atMs: number }> {
  const reply = message<{ cpuMicros: number; rssBytes: number; atMs: number }>(child, 'usage');
  child.send({ type: 'usage' });
  return reply;
}

function render(rows: LiveRow[]): string {
  const lines = [
    '| publishers | seconds | CPU % of a core per stream | server RSS MB | RSS per stream MB | delay median ms | delay p95 ms | segments |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.publishers} | ${r.seconds} | ${r.cpuPercentPerStream.toFixed(2)} | ${r.rssMB.toFixed(0)} | ${r.rssPerStreamMB.toFixed(2)} | ${r.delayMedianMs.toFixed(2)} | ${r.delayP95Ms.toFixed(2)} | ${r.segments} |`),
  ];
  return lines.join('\n');
}
