import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { llWorkersBench } from './ll-workers.js';

/**
 * LL-HLS parked blocking playlist requests (RFC 8216bis 6.2.5.2) under load: N clients wait on one
 * stream's video playlist for the same part, and the server answers them all when it appears.
 *
 * The server runs alone in a child process (bench/ll-hls-child.ts): a createMediaServer with an
 * ffmpeg `-re` publisher of the looped fixture (320x240 H.264 + AAC, 2 s GOP, parts of 0.2 s). This
 * process holds N keep-alive TCP connections (node:net, no HTTP client: `onread` into one shared
 * buffer, so reading 2 000 answers costs as little as possible on this side) and, per round:
 *
 * 1. waits for the child's next video part event (msn M, index P);
 * 2. writes `GET /live/<key>/video/index.m3u8?_HLS_msn=M&_HLS_part=P+ahead` on every connection,
 *    for a part `ahead` parts past the newest one (the playlist's PRELOAD-HINT names P+1; the timed
 *    rounds use P+3, see parkedLoad), so every request is parked before it appears;
 * 3. takes the trigger — the first video part (or segment) event that satisfies the request, as
 *    LiveDelivery decides it (blockingReloadState) — whose time the child takes in the server's
 *    'part' event, before the packager tells LiveDelivery, together with how many were parked then;
 * 4. times each answer's first and last byte on arrival.
 *
 * Times on both sides are performance.timeOrigin + performance.now(): epoch ms at high resolution,
 * comparable across processes on one machine. Per request, delay = last byte received − trigger;
 * release spread = the largest of them (the last response). RSS is the child's
 * process.memoryUsage().rss after a full GC: before connecting, with N idle connections, and with N
 * requests parked.
 *
 * Exported pieces are shared with test/integration/ll-parked-load.test.ts, which asserts on them.
 */

export const epochMs = (): number => performance.timeOrigin + performance.now();

export interface PartEvent {
  readonly type: 'part';
  readonly msn: number;
  readonly index: number;
  /** Epoch ms (high resolution) in the child's 'part' event. */
  readonly at: number;
  /** server.liveDelivery.parked at that moment, before the release. */
  readonly parked: number;
}

export interface SegmentEvent {
  readonly type: 'segment';
  readonly msn: number;
  readonly at: number;
  readonly parked: number;
}

export interface ChildUsage {
  readonly rss: number;
  readonly heapUsed: number;
  readonly parked: number;
  readonly at: number;
}

/** The server child: its ports, what it reported, and requests to it. */
export class LlServerChild {
  readonly events: Array<PartEvent | SegmentEvent> = [];
  readonly #child: ChildProcess;
  readonly #waiters = new Set<{ test: (e: PartEvent | SegmentEvent) => boolean; resolve: (e: PartEvent | SegmentEvent) => void }>();

  private constructor(
    child: ChildProcess,
    readonly httpPort: number,
    readonly ffmpegPid: number | undefined,
  ) {
    this.#child = child;
    child.on('message', (m: { type: string }) => {
      if (m.type !== 'part' && m.type !== 'segment') return;
      const e = m as PartEvent | SegmentEvent;
      this.events.push(e);
      for (const w of this.#waiters) {
        if (!w.test(e)) continue;
        this.#waiters.delete(w);
        w.resolve(e);
      }
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /**
   * Forks bench/ll-hls-child.ts (`node --import tsx --expose-gc`); resolves once ffmpeg publishes
   * parts. `workers` > 0: the multi-process origin (`tidecast serve --http-workers <workers>`), the
   * clients connecting to the workers' shared port.
   */
  static async start(options: { publishSeconds: number; key?: string; execArgv?: readonly string[]; workers?: number }): Promise<LlServerChild> {
    const path = new URL('./ll-hls-child.ts', import.meta.url).pathname;
    const execArgv = ['--import', 'tsx', '--expose-gc', ...(options.execArgv ?? [])];
    const child = fork(path, [String(options.publishSeconds), options.key ?? 'll', String(options.workers ?? 0)], { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    try {
      const ready = await message<{ httpPort: number; ffmpegPid?: number }>(child, 'ready', 20_000);
      const server = new LlServerChild(child, ready.httpPort, ready.ffmpegPid);
      // Until the first video segment is complete the packager has no playlist to give (a request
      // released by a part of segment 0 gets 404): rounds start after it.
      await server.next((e) => e.type === 'segment', 15_000, 'the first video segment');
      return server;
    } catch (error) {
      killPid(child.pid);
      throw error;
    }
  }

  /** The next event `test` accepts (events arriving after the call). */
  next<E extends PartEvent | SegmentEvent>(test: (e: PartEvent | SegmentEvent) => boolean, timeoutMs: number, what: string): Promise<E> {
    return new Promise((resolve, reject) => {
      const waiter = {
        test,
        resolve: (e: PartEvent | SegmentEvent) => {
          clearTimeout(timer);
          resolve(e as E);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`ll-hls child: no ${what} in ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.#waiters.add(waiter);
    });
  }

  /** The child's RSS, heap and parked count; `gc` runs a full collection first. */
  usage(gc = false): Promise<ChildUsage> {
    const reply = message<ChildUsage>(this.#child, 'usage', 5000);
    this.#child.send({ type: 'usage', gc });
    return reply;
  }

  /** DASH parts written to chunked segment answers since the last call (DashDelivery.takePartWrites), and the answers open. */
  dashWrites(): Promise<{ writes: Array<{ path: string; first: number; last: number; count: number }>; open: number }> {
    const reply = message<{ writes: Array<{ path: string; first: number; last: number; count: number }>; open: number }>(this.#child, 'dash-writes', 5000);
    this.#child.send({ type: 'dash-writes' });
    return reply;
  }

  /** Blocking playlist answers the server finished writing since the last call: how many, first and last time (epoch ms). */
  written(): Promise<{ count: number; first: number; last: number }> {
    const reply = message<{ count: number; first: number; last: number }>(this.#child, 'written', 5000);
    this.#child.send({ type: 'written' });
    return reply;
  }

  /**
   * Starts or stops (writing `path`) a CPU profile in the child. The start answers with a pair of
   * clocks: the profile's timestamps (monotonic µs) at `hrtimeMicros` were epoch ms `at`.
   */
  profile(action: 'start' | 'stop', path?: string): Promise<{ hrtimeMicros?: number; at?: number }> {
    const reply = message<{ hrtimeMicros?: number; at?: number }>(this.#child, 'profiled', 10_000);
    this.#child.send({ type: 'profile', action, path });
    return reply;
  }

  /** Asks the child to stop (it kills its ffmpeg and closes the server), SIGKILLs both by PID after 3 s. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child.exitCode === null && child.signalCode === null) {
      if (child.connected) child.send({ type: 'stop' });
      await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 3000))]);
    }
    killPid(child.exitCode === null && child.signalCode === null ? child.pid : undefined);
    killPid(this.ffmpegPid);
  }
}

/** SIGKILL by PID, if the process is still there. */
export function killPid(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function message<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`ll-hls child: no '${type}' in ${timeoutMs} ms`)), timeoutMs);
    const on = (m: { type: string; message?: string }): void => {
      if (m.type === 'error') done(new Error(`ll-hls child: ${m.message}`));
      else if (m.type === type) done(undefined, m as T);
    };
    const exit = (code: number | null): void => done(new Error(`ll-hls child exited (${code}) before '${type}'`));
    function done(error: Error | undefined, value?: T): void {
      clearTimeout(timer);
      child.off('message', on);
      child.off('exit', exit);
      if (error === undefined) resolve(value!);
      else reject(error);
    }
    child.on('message', on);
    child.once('exit', exit);
  });
}

/** The soft limit on open files (`ulimit -n`), or Infinity when it cannot be read. */
export function openFileLimit(): number {
  try {
    const text = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
    return text === 'unlimited' ? Infinity : Number(text);
  } catch {
    return Infinity;
  }
}

/** One answer as it arrived: times in epoch ms, the body as text. */
export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly firstByteAt: number;
  readonly lastByteAt: number;
}

interface Connection {
  readonly socket: Socket;
  chunks: Buffer[];
  received: number;
  /** Header + body length, once the header is in. */
  expected: number | undefined;
  headerLength: number;
  status: number;
  firstByteAt: number | undefined;
  done: ((answer: Answer | Error) => void) | undefined;
}

/** All reads land in one buffer and are copied out at once: JS handles one read at a time. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * N keep-alive HTTP/1.1 connections to the server, each with at most one request in flight, and
 * the least client-side work per answer: the time is taken first thing in the read callback.
 */
export class RawClients {
  readonly #connections: Connection[] = [];

  private constructor(readonly port: number) {}

  get size(): number {
    return this.#connections.length;
  }

  /** Opens `n` connections to 127.0.0.1:`port`, `batch` at a time (the listen backlog is 511). */
  static async open(port: number, n: number, batch = 250): Promise<RawClients> {
    const clients = new RawClients(port);
    try {
      for (let i = 0; i < n; i += batch) await Promise.all(Array.from({ length: Math.min(batch, n - i) }, () => clients.#connect()));
    } catch (error) {
      clients.close();
      throw error;
    }
    return clients;
  }

  #connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const c: Connection = { socket: undefined as unknown as Socket, chunks: [], received: 0, expected: undefined, headerLength: 0, status: 0, firstByteAt: undefined, done: undefined };
      const socket = connect({
        port: this.port,
        host: '127.0.0.1',
        noDelay: true,
        onread: {
          buffer: READ_BUFFER,
          callback: (nread: number, buf: Uint8Array): boolean => {
            const now = epochMs();
            c.firstByteAt ??= now;
            c.chunks.push(Buffer.from(buf.subarray(0, nread)));
            c.received += nread;
            if (c.expected === undefined) readHeader(c);
            if (c.expected !== undefined && c.received >= c.expected) finish(c, now);
            return true;
          },
        },
      });
      (c as { socket: Socket }).socket = socket;
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.on('error', (e) => c.done?.(e));
        socket.on('close', () => c.done?.(new Error('connection closed')));
        this.#connections.push(c);
        resolve();
      });
      socket.once('error', reject);
    });
  }

  /** Sends `GET <path>` on every connection; resolves with every answer (or error) once all are in, or rejects after `timeoutMs`. */
  request(path: string, timeoutMs: number): Promise<Array<Answer | Error>> {
    const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const answers = this.#connections.map(
      (c) =>
        new Promise<Answer | Error>((resolve) => {
          c.chunks = [];
          c.received = 0;
          c.expected = undefined;
          c.firstByteAt = undefined;
          c.done = (answer) => {
            c.done = undefined;
            resolve(answer);
          };
        }),
    );
    for (const c of this.#connections) c.socket.write(request);
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${answers.length} requests: not all answered in ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([Promise.all(answers), limit]).finally(() => clearTimeout(timer));
  }

  close(): void {
    for (const c of this.#connections) {
      c.done = undefined;
      c.socket.destroy();
    }
    this.#connections.length = 0;
  }
}

function readHeader(c: Connection): void {
  const head = c.chunks.length === 1 ? c.chunks[0]! : Buffer.concat(c.chunks);
  const end = head.indexOf(HEADER_END);
  if (end < 0) return;
  const header = head.toString('latin1', 0, end);
  c.status = Number(header.slice(9, 12));
  const length = /\r\ncontent-length: *(\d+)/i.exec(header);
  c.headerLength = end + 4;
  c.expected = end + 4 + (length === null ? 0 : Number(length[1]));
}

function finish(c: Connection, now: number): void {
  const all = c.chunks.length === 1 ? c.chunks[0]! : Buffer.concat(c.chunks);
  c.done?.({ status: c.status, body: all.toString('utf8', c.headerLength, c.expected), firstByteAt: c.firstByteAt!, lastByteAt: now });
}

/** What one round measured. */
export interface Round {
  /** The blocking request: `_HLS_msn`, `_HLS_part`. */
  readonly msn: number;
  readonly part: number;
  /** The event that satisfied the request (the awaited part, or the segment that closed first). */
  readonly trigger: PartEvent | SegmentEvent;
  /** The URI the answers must list: `<msn>.<index>.m4s` of the part, or the segment's. */
  readonly triggerUri: string;
  readonly answers: Array<Answer | Error>;
  /** Per answer: last byte received − trigger.at (ms); NaN for an error. */
  readonly delays: number[];
  /** Per answer: first byte received − trigger.at. */
  readonly firstByteDelays: number[];
  /** Last answer received − trigger.at. */
  readonly spreadMs: number;
  /** The server's side: its last answer handed to the kernel − trigger.at, and its first. */
  readonly serverLastWriteMs: number;
  readonly serverFirstWriteMs: number;
  /** From the first request written to the last one parked (only when `memory` was asked for). */
  readonly parkMs: number | undefined;
  /** Child usage with the requests parked, after a GC (only when `memory` was asked for). */
  readonly parkedUsage: ChildUsage | undefined;
}

/**
 * One round: right after the next video part (M, P) appears, every connection asks for
 * (M, P + ahead) and the answers are timed against the event that satisfies it. With `memory`, the
 * child's usage is read (after a GC) once all N are parked — well before the part is due.
 */
export async function parkedRound(
  server: LlServerChild,
  clients: RawClients,
  options: { key?: string; ahead: number; memory?: boolean; timeoutMs?: number; profilePath?: string },
): Promise<Round> {
  let newest: PartEvent;
  for (;;) {
    newest = await server.next<PartEvent>((e) => e.type === 'part', 5000, 'video part');
    // The segment's last part comes with the segment's close (one change, 'part' then 'segment'):
    // then a request for a later part of that segment would be answered at once; wait for the next.
    await new Promise((r) => setTimeout(r, 1));
    const after = server.events.slice(server.events.lastIndexOf(newest) + 1);
    if (after.some((e) => e.type === 'segment' && e.msn >= newest.msn) || after.some((e) => e.type === 'part')) continue;
    // The part asked for must be one this segment will have: past its last part, the segment's
    // close (the next part's time, or sooner) releases the requests, which may not all be parked yet.
    if (newest.index + options.ahead <= fewestParts(server.events) - 1) break;
  }
  const msn = newest.msn;
  const part = newest.index + options.ahead;
  const satisfies = (e: PartEvent | SegmentEvent): boolean => (e.type === 'segment' ? e.msn >= msn : e.msn > msn || (e.msn === msn && e.index >= part));
  const trigger = server.next(satisfies, 10_000, `event releasing _HLS_msn=${msn}&_HLS_part=${part}`);
  let triggered = false;
  // Handled here too: if the answers fail first, a later rejection of `trigger` is not unhandled.
  trigger.then(
    () => (triggered = true),
    () => (triggered = true),
  );
  const sentAt = epochMs();
  const answers = clients.request(`/live/${options.key ?? 'll'}/video/index.m3u8?_HLS_msn=${msn}&_HLS_part=${part}`, options.timeoutMs ?? 10_000);
  let parkedUsage: ChildUsage | undefined;
  let profileClock: { hrtimeMicros?: number; at?: number } = {};
  let parkMs: number | undefined;
  if (options.memory === true || options.profilePath !== undefined) {
    let u = await server.usage();
    while (u.parked < clients.size && !triggered && epochMs() - sentAt < 5000) {
      await new Promise((r) => setTimeout(r, 5));
      u = await server.usage();
    }
    parkMs = u.at - sentAt;
    if (options.memory === true) parkedUsage = await server.usage(true);
    if (options.profilePath !== undefined) profileClock = await server.profile('start');
  }
  const [event, received] = await Promise.all([trigger, answers]);
  const written = await server.written();
  if (options.profilePath !== undefined) {
    await server.profile('stop', options.profilePath);
    // Beside the profile: the clock pair and the window to look at (trigger → last answer written).
    writeFileSync(`${options.profilePath}.json`, JSON.stringify({ ...profileClock, triggerAt: event.at, firstWrittenAt: written.first, lastWrittenAt: written.last, requests: clients.size }));
  }
  const triggerUri = event.type === 'part' ? `${event.msn}.${event.index}.m4s` : `${event.msn}.m4s`;
  const delays = received.map((a) => (a instanceof Error ? NaN : a.lastByteAt - event.at));
  const firstByteDelays = received.map((a) => (a instanceof Error ? NaN : a.firstByteAt - event.at));
  return { msn, part, trigger: event, triggerUri, answers: received, delays, firstByteDelays, spreadMs: Math.max(...delays), serverLastWriteMs: written.last - event.at, serverFirstWriteMs: written.first - event.at, parkMs, parkedUsage };
}

/** The fewest parts a closed segment had so far (the looped fixture's GOPs vary by a frame or two); 10 before any closed. */
function fewestParts(events: ReadonlyArray<PartEvent | SegmentEvent>): number {
  const parts = new Map<number, number>();
  for (const e of events) if (e.type === 'part') parts.set(e.msn, Math.max(parts.get(e.msn) ?? 0, e.index + 1));
  const closed = events.filter((e) => e.type === 'segment' && parts.has(e.msn)).map((e) => parts.get(e.msn)!);
  return closed.length === 0 ? 10 : Math.min(...closed);
}

/** Whether an answer is the 200 playlist that lists the trigger's part (or segment). */
export function listsTrigger(answer: Answer | Error, round: Round): boolean {
  if (answer instanceof Error || answer.status !== 200) return false;
  return round.trigger.type === 'part' ? answer.body.includes(`URI="${round.triggerUri}"`) : answer.body.includes(`\n${round.triggerUri}\n`);
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** What parkedLoad measured on N connections; nothing asserted. */
export interface ParkedLoad {
  readonly n: number;
  /** Child usage after a GC: before the N connections, with them open and idle, with N requests parked. */
  readonly idle: ChildUsage;
  readonly connected: ChildUsage;
  readonly parked: ChildUsage;
  /** Requests written → the child counting all N parked (first timed round). */
  readonly parkMs: number;
  readonly rounds: Round[];
}

/** Parts ahead of the newest one that the timed rounds ask for: see parkedLoad. */
export const PARKED_AHEAD = 3;

/**
 * On a running child: warms the server's HTTP path up (`warmup` rounds on 50 connections, closed
 * again: the JIT's first pass over the release path is several times slower than the steady state,
 * and a live server is warm), then opens N connections and runs `rounds` timed rounds. The first
 * also reads memory: once all N are parked it asks for the child's usage after a GC, which is over
 * long before the part is due, so its release is timed like the others.
 *
 * Each round asks for the part `ahead` parts past the newest (default PARKED_AHEAD = 3, 0.4–0.6 s
 * away): parking 2 000 requests takes the server 130–290 ms warm, too close to the 0.2–0.4 s the
 * part after the next one leaves. A round's trigger records how many were parked when it came.
 */
export async function parkedLoad(server: LlServerChild, n: number, options: { rounds: number; ahead?: number; warmup?: number }): Promise<ParkedLoad> {
  const ahead = options.ahead ?? PARKED_AHEAD;
  if ((options.warmup ?? 2) > 0) {
    const warm = await RawClients.open(server.httpPort, Math.min(n, 50));
    try {
      for (let i = 0; i < (options.warmup ?? 2); i++) await parkedRound(server, warm, { ahead });
    } finally {
      warm.close();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const idle = await server.usage(true);
  const clients = await RawClients.open(server.httpPort, n);
  try {
    await new Promise((r) => setTimeout(r, 200));
    const connected = await server.usage(true);
    const rounds: Round[] = [];
    for (let i = 0; i < options.rounds; i++) rounds.push(await parkedRound(server, clients, { ahead, memory: i === 0 }));
    return { n, idle, connected, parked: rounds[0]!.parkedUsage!, parkMs: rounds[0]!.parkMs!, rounds };
  } finally {
    clients.close();
  }
}

/** The figures of a ParkedLoad: medians over its rounds (those with all N parked when the part came). */
export interface ParkedFigures {
  readonly parked: number;
  readonly rounds: number;
  /** Rounds in which all N were parked when the part appeared (the others are left out). */
  readonly allParked: number;
  /** Last answer received − part published: median and largest over the rounds. */
  readonly releaseMedianMs: number;
  readonly releaseMaxMs: number;
  /** Per-request delay (last byte received − part published), p50 and p95 within a round; medians over rounds. */
  readonly delayP50Ms: number;
  readonly delayP95Ms: number;
  /** First byte of the first answer − part published. */
  readonly firstAnswerMs: number;
  /** The server's last answer handed to its socket − part published. */
  readonly serverLastWriteMs: number;
  readonly parkMs: number;
  /** RSS with N parked − RSS before the connections: in MB, and per request in KB (10^3 bytes). */
  readonly rssGrowthMB: number;
  readonly rssPerRequestKB: number;
  /** RSS with N parked − RSS with the N connections idle, per request. */
  readonly rssParkingPerRequestKB: number;
  /** V8 heap used with N parked − before the connections, per request. */
  readonly heapPerRequestKB: number;
}

export function figures(load: ParkedLoad): ParkedFigures {
  const full = load.rounds.filter((r) => r.trigger.parked === load.n);
  const used = full.length > 0 ? full : load.rounds;
  return {
    parked: load.n,
    rounds: load.rounds.length,
    allParked: full.length,
    releaseMedianMs: median(used.map((r) => r.spreadMs)),
    releaseMaxMs: Math.max(...used.map((r) => r.spreadMs)),
    delayP50Ms: median(used.map((r) => percentile(r.delays, 0.5))),
    delayP95Ms: median(used.map((r) => percentile(r.delays, 0.95))),
    firstAnswerMs: median(used.map((r) => Math.min(...r.firstByteDelays))),
    serverLastWriteMs: median(used.map((r) => r.serverLastWriteMs)),
    parkMs: load.parkMs,
    rssGrowthMB: (load.parked.rss - load.idle.rss) / 1e6,
    rssPerRequestKB: (load.parked.rss - load.idle.rss) / 1e3 / load.n,
    rssParkingPerRequestKB: (load.parked.rss - load.connected.rss) / 1e3 / load.n,
    heapPerRequestKB: (load.parked.heapUsed - load.idle.heapUsed) / 1e3 / load.n,
  };
}

/**
 * The bench (bench/main.ts, last section): a fresh server child per N (so each RSS figure starts
 * from the same idle server), N = 100, 1 000, 2 000 parked (quick: 100, 500) over 7 timed rounds
 * (quick: 3); then one connection's blocking reload for the next part, 20 parts (quick: 10); then
 * the multi-process origin (bench/ll-workers.ts): 2 000 parked through 0, 1 and 2 HTTP workers and
 * 10 000 through 0 and 2 (quick: 500 through 0 and 2).
 */
export async function llHlsBench(options: { quick: boolean }): Promise<string> {
  const counts = options.quick ? [100, 500] : [100, 1000, 2000];
  const rounds = options.quick ? 3 : 7;
  const limit = openFileLimit();
  const rows: ParkedFigures[] = [];
  for (const n of counts) {
    if (n + 64 > limit) throw new Error(`ll-hls bench: ${n} connections need more than ulimit -n ${limit}`);
    const server = await LlServerChild.start({ publishSeconds: 120 });
    try {
      rows.push(figures(await parkedLoad(server, n, { rounds })));
    } finally {
      await server.stop();
    }
  }
  const single = await singleRequest(options.quick ? 10 : 20);
  // The same through the multi-process origin (bench/ll-workers.ts): 2 000 and 10 000 parked.
  const workers = await llWorkersBench({ quick: options.quick });
  return [
    render(rows),
    '',
    `single blocking reload (one connection, _HLS_part = the next part, as a player asks): part published → answer received, median ${single.median.toFixed(2)} ms, p95 ${single.p95.toFixed(2)} ms, max ${single.max.toFixed(2)} ms over ${single.rounds} parts`,
    '',
    workers,
  ].join('\n');
}

async function singleRequest(rounds: number): Promise<{ median: number; p95: number; max: number; rounds: number }> {
  const server = await LlServerChild.start({ publishSeconds: 120 });
  const clients = await RawClients.open(server.httpPort, 1);
  try {
    for (let i = 0; i < 3; i++) await parkedRound(server, clients, { ahead: 1 });
    const delays: number[] = [];
    for (let i = 0; i < rounds; i++) delays.push((await parkedRound(server, clients, { ahead: 1 })).spreadMs);
    return { median: median(delays), p95: percentile(delays, 0.95), max: Math.max(...delays), rounds };
  } finally {
    clients.close();
    await server.stop();
  }
}

function render(rows: ParkedFigures[]): string {
  return [
    '| parked | rounds (all parked) | release ms median | release ms max | per-request p50 ms | per-request p95 ms | first answer ms | server last write ms | park all ms | RSS growth MB | RSS KB / request | of which parking KB | heap KB / request |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.parked} | ${r.rounds} (${r.allParked}) | ${r.releaseMedianMs.toFixed(2)} | ${r.releaseMaxMs.toFixed(2)} | ${r.delayP50Ms.toFixed(2)} | ${r.delayP95Ms.toFixed(2)} | ${r.firstAnswerMs.toFixed(2)} | ${r.serverLastWriteMs.toFixed(2)} | ${r.parkMs.toFixed(0)} | ${r.rssGrowthMB.toFixed(1)} | ${r.rssPerRequestKB.toFixed(1)} | ${r.rssParkingPerRequestKB.toFixed(1)} | ${r.heapPerRequestKB.toFixed(1)} |`,
    ),
  ].join('\n');
}
