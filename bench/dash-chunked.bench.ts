import { connect, type Socket } from 'node:net';
import { epochMs, LlServerChild, median, openFileLimit, percentile, type PartEvent, type SegmentEvent } from './ll-hls.bench.js';

/**
 * DASH chunked delivery under load (issue 11, Done-when 5): N open answers for the video segment
 * being written (a low-latency DASH player's request: 200 at once, then each part as it is made),
 * and how soon each new part reaches them after the server's 'part' event.
 *
 * The server runs alone in a child process (bench/ll-hls-child.ts, the LL-HLS bench's: a
 * createMediaServer with an ffmpeg `-re` publisher of the looped fixture, 2 s segments of 0.2 s
 * parts). Per round this process waits for a video part with index ≤ 2 of segment M, sends
 * `GET /live/ll/video/M.m4s` on each of N keep-alive connections, and reads every answer to its end
 * (chunked transfer's last chunk). Figures, per part published while the answers were open:
 *
 * - server: the child's 'part' event → the last of the N writes of that part (DashDelivery's own
 *   record, takePartWrites), and → the first; both epoch ms at high resolution in one process;
 * - clients: the part event → the first read on each connection after it (the part's first bytes),
 *   worst connection per part.
 *
 * Medians over the parts of all rounds. Exported for test/integration/dash-chunked-load.test.ts.
 */

export interface ChunkedRound {
  readonly msn: number;
  /** Per part event while the answers were open: ms to the server's first and last write, and to the worst client's first byte. */
  readonly parts: ReadonlyArray<{ index: number; firstWriteMs: number; lastWriteMs: number; writes: number; worstClientMs: number }>;
  readonly answers: number;
  /** Answers whose bytes (chunks joined) equal the final segment file. */
  readonly equal: number;
}

interface Stream {
  readonly socket: Socket;
  chunks: Buffer[];
  reads: number[];
  done: (() => void) | undefined;
}

const TERMINATOR = Buffer.from('\r\n0\r\n\r\n');

/** N keep-alive connections reading chunked answers to their end, timing every read. */
class ChunkedClients {
  readonly #streams: Stream[] = [];

  static async open(port: number, n: number, batch = 250): Promise<ChunkedClients> {
    const clients = new ChunkedClients();
    for (let i = 0; i < n; i += batch) await Promise.all(Array.from({ length: Math.min(batch, n - i) }, () => clients.#connect(port)));
    return clients;
  }

  #connect(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const stream: Stream = { socket: undefined as unknown as Socket, chunks: [], reads: [], done: undefined };
      const socket = connect({ port, host: '127.0.0.1', noDelay: true });
      (stream as { socket: Socket }).socket = socket;
      socket.on('data', (data: Buffer) => {
        stream.reads.push(epochMs());
        stream.chunks.push(data);
        const last = stream.chunks.at(-1)!;
        if (last.length >= TERMINATOR.length ? last.subarray(last.length - TERMINATOR.length).equals(TERMINATOR) : Buffer.concat(stream.chunks).subarray(-TERMINATOR.length).equals(TERMINATOR)) stream.done?.();
      });
      socket.once('connect', () => {
        this.#streams.push(stream);
        resolve();
      });
      socket.once('error', reject);
    });
  }

  /** GET `path` on every connection; resolves with each answer's raw bytes and read times once all ended. */
  async request(path: string, timeoutMs: number): Promise<Array<{ raw: Buffer; reads: number[] }>> {
    const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const ends = this.#streams.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.chunks = [];
          s.reads = [];
          s.done = () => {
            s.done = undefined;
            resolve();
          };
        }),
    );
    for (const s of this.#streams) s.socket.write(request);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([Promise.all(ends), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`chunked answers not all ended in ${timeoutMs} ms`)), timeoutMs)))]);
    } finally {
      clearTimeout(timer);
    }
    return this.#streams.map((s) => ({ raw: Buffer.concat(s.chunks), reads: s.reads }));
  }

  close(): void {
    for (const s of this.#streams) s.socket.destroy();
  }
}

/** The body of a chunked HTTP/1.1 answer. */
export function dechunk(raw: Buffer): Buffer {
  let at = raw.indexOf('\r\n\r\n') + 4;
  const body: Buffer[] = [];
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    const size = parseInt(raw.subarray(at, eol).toString('latin1'), 16);
    if (!(size > 0)) break;
    body.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(body);
}

export async function chunkedRound(server: LlServerChild, clients: ChunkedClients, key = 'll'): Promise<ChunkedRound> {
  // Early in a segment, so most of its parts are made while the answers are open.
  const start = await server.next<PartEvent>((e) => e.type === 'part' && e.index <= 2, 10_000, 'an early part');
  await server.dashWrites();
  const since = server.events.length;
  const answers = await clients.request(`/live/${key}/video/${start.msn}.m4s`, 10_000);
  const events = server.events.slice(since).filter((e): e is PartEvent | SegmentEvent => e.msn === start.msn);
  const { writes } = await server.dashWrites();
  const final = await (await fetch(`http://127.0.0.1:${server.httpPort}/live/${key}/video/${start.msn}.m4s`)).arrayBuffer();
  const equal = answers.filter((a) => dechunk(a.raw).equals(Buffer.from(final))).length;
  const parts = events
    .filter((e): e is PartEvent => e.type === 'part')
    .flatMap((e) => {
      const w = writes.find((x) => x.path === `live/${key}/video/${e.msn}.${e.index}.m4s`);
      if (w === undefined) return [];
      const worstClientMs = Math.max(...answers.map((a) => (a.reads.find((t) => t >= e.at) ?? Number.POSITIVE_INFINITY) - e.at));
      return [{ index: e.index, firstWriteMs: w.first - e.at, lastWriteMs: w.last - e.at, writes: w.count, worstClientMs }];
    });
  return { msn: start.msn, parts, answers: answers.length, equal };
}

export interface ChunkedFigures {
  readonly open: number;
  readonly rounds: number;
  readonly parts: number;
  readonly lastWriteMedianMs: number;
  readonly lastWriteP95Ms: number;
  readonly firstWriteMedianMs: number;
  readonly worstClientMedianMs: number;
  readonly worstClientP95Ms: number;
  /** Every part reached every answer, and every answer's bytes equal the final file. */
  readonly complete: boolean;
}

export async function chunkedLoad(server: LlServerChild, n: number, rounds: number): Promise<ChunkedFigures> {
  const clients = await ChunkedClients.open(server.httpPort, n);
  try {
    await chunkedRound(server, clients); // warm-up
    const results: ChunkedRound[] = [];
    for (let i = 0; i < rounds; i++) results.push(await chunkedRound(server, clients));
    const parts = results.flatMap((r) => r.parts);
    return {
      open: n,
      rounds,
      parts: parts.length,
      lastWriteMedianMs: median(parts.map((p) => p.lastWriteMs)),
      lastWriteP95Ms: percentile(parts.map((p) => p.lastWriteMs), 0.95),
      firstWriteMedianMs: median(parts.map((p) => p.firstWriteMs)),
      worstClientMedianMs: median(parts.map((p) => p.worstClientMs)),
      worstClientP95Ms: percentile(parts.map((p) => p.worstClientMs), 0.95),
      complete: results.every((r) => r.equal === r.answers && r.parts.every((p) => p.writes === r.answers)),
    };
  } finally {
    clients.close();
  }
}

/** The bench (bench/main.ts): a fresh server child per N, N = 1, 100 and 1 000 open answers (quick: 1, 100), 5 rounds (quick: 2). */
export async function dashChunkedBench(options: { quick: boolean }): Promise<string> {
  const counts = options.quick ? [1, 100] : [1, 100, 1000];
  const rounds = options.quick ? 2 : 5;
  const limit = openFileLimit();
  const rows: ChunkedFigures[] = [];
  for (const n of counts) {
    if (n + 64 > limit) throw new Error(`dash bench: ${n} connections need more than ulimit -n ${limit}`);
    const server = await LlServerChild.start({ publishSeconds: 120 });
    try {
      rows.push(await chunkedLoad(server, n, rounds));
    } finally {
      await server.stop();
    }
  }
  return [
    '| open answers | rounds | parts | part event → server first write ms (median) | → last write ms (median) | → last write ms (p95) | → worst client first byte ms (median) | (p95) | every part to every answer, bytes equal |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.open} | ${r.rounds} | ${r.parts} | ${r.firstWriteMedianMs.toFixed(2)} | ${r.lastWriteMedianMs.toFixed(2)} | ${r.lastWriteP95Ms.toFixed(2)} | ${r.worstClientMedianMs.toFixed(2)} | ${r.worstClientP95Ms.toFixed(2)} | ${r.complete ? 'yes' : 'NO'} |`),
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  console.log(await dashChunkedBench({ quick: process.argv.includes('--quick') }));
}
