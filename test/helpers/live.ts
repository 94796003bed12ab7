import { createMediaServer, type MediaServer, type MediaServerOptions } from '../../src/server/index.js';
import { fixturePath, runFfprobeJson, spawnFfmpeg, type FfmpegRun } from './ffmpeg.js';
import { killByPid, withTimeout } from './process.js';

/**
 * Shared pieces of the live server's end-to-end tests (test/integration/live-*.test.ts): a
 * MediaServer on loopback with ports the kernel picks, ffmpeg publishers that end by themselves
 * (and are killed by PID if they do not), HTTP reads of the delivery routes, and ffprobe readings
 * of the live playlists with the checks every test makes on them (rising timestamps, no overlap).
 */

export interface LiveServer {
  readonly server: MediaServer;
  /** `rtmp://127.0.0.1:PORT/<path>` */
  rtmpUrl(path: string): string;
  /** `http://127.0.0.1:PORT/<path>` */
  httpUrl(path: string): string;
  /** Kills the ffmpeg runs started through `publish`, then closes the server. */
  close(): Promise<void>;
  /** ffmpeg `-re` (or not) publishing `fixture` to `live/<key>`; resolves once the server accepted it. */
  publish(key: string, options: PublishOptions): Promise<FfmpegRun>;
}

export interface PublishOptions {
  /** File under fixtures/, default 'media/h264-aac.flv'. */
  fixture?: string;
  /** `-t`: seconds of the fixture to send; undefined sends all of it. */
  seconds?: number;
  /** `-re`: send in real time. Default true. */
  realtime?: boolean;
  /** `-stream_loop -1`: repeat the fixture (with `seconds`, for publishes longer than it). */
  loop?: boolean;
  /** The publisher is SIGKILLed after this long. Default 30 000 ms. */
  timeoutMs?: number;
}

/** Time for the server's 'publish' event after ffmpeg starts: its startup and the RTMP handshake. */
const PUBLISH_ACCEPT_TIMEOUT_MS = 10_000;

/** What startLiveServer takes: anything but the addresses, and the RTMP and HTTP limits apart. */
export type LiveServerOptions = Omit<MediaServerOptions, 'rtmp' | 'http'> & {
  rtmpLimits?: Omit<NonNullable<MediaServerOptions['rtmp']>, 'port' | 'host' | 'tls'>;
  httpLimits?: Omit<NonNullable<MediaServerOptions['http']>, 'port' | 'host' | 'tls'>;
};

/** A MediaServer on 127.0.0.1, both ports 0; `options` may set anything but the addresses. */
export async function startLiveServer(options: LiveServerOptions = {}): Promise<LiveServer> {
  const { rtmpLimits, httpLimits, ...rest } = options;
  const server = createMediaServer({ ...rest, rtmp: { ...rtmpLimits, port: 0, host: '127.0.0.1' }, http: { ...httpLimits, port: 0, host: '127.0.0.1' } });
  const { rtmp, http } = await server.listen();
  const runs: FfmpegRun[] = [];
  const rtmpUrl = (path: string): string => `rtmp://127.0.0.1:${rtmp.port}/${path}`;
  return {
    server,
    rtmpUrl,
    httpUrl: (path) => `http://127.0.0.1:${http.port}/${path}`,
    async close() {
      for (const run of runs) killByPid(run.child);
      await Promise.all(runs.map((r) => r.done.catch(() => undefined)));
      await server.close();
    },
    async publish(key, o) {
      const accepted = nextPublish(server, key);
      const args = [
        '-v', 'error',
        ...((o.realtime ?? true) ? ['-re'] : []),
        ...(o.loop === true ? ['-stream_loop', '-1'] : []),
        '-i', fixturePath(o.fixture ?? 'media/h264-aac.flv'),
        ...(o.seconds === undefined ? [] : ['-t', String(o.seconds)]),
        '-c', 'copy', '-f', 'flv', rtmpUrl(`live/${key}`),
      ];
      const run = await spawnFfmpeg(args, { timeoutMs: o.timeoutMs ?? 30_000 });
      runs.push(run);
      await withTimeout(Promise.race([accepted, run.done.then((r) => Promise.reject(new Error(`ffmpeg ended before publishing: ${r.stderr}`)))]), PUBLISH_ACCEPT_TIMEOUT_MS, `publish of live/${key}`);
      return run;
    },
  };
}

/** The server's next 'publish' event for `live/<key>`. */
export function nextPublish(server: MediaServer, key: string): Promise<void> {
  return new Promise((resolve) => {
    const listener = (s: { app: string; streamKey: string }): void => {
      if (s.app !== 'live' || s.streamKey !== key) return;
      server.off('publish', listener);
      resolve();
    };
    server.on('publish', listener);
  });
}

/** Resolves once `predicate` holds, checked every `everyMs`; rejects naming `what` after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** GET `url` as text, or undefined on a non-200 answer. */
export async function getText(url: string): Promise<string | undefined> {
  const res = await fetch(url);
  if (res.status !== 200) {
    await res.arrayBuffer();
    return undefined;
  }
  return res.text();
}

/**
 * ffmpeg's HLS demuxer on a live playlist starts 3 segments from the end and reloads until the
 * playlist ends; `-live_start_index 0` reads the whole window, `-m3u8_hold_counters` bounds the
 * reloads that bring nothing new (a publisher gone for good, before EXT-X-ENDLIST).
 */
export const LIVE_INPUT: readonly string[] = ['-live_start_index', '0', '-m3u8_hold_counters', '3'];

export interface LivePacket {
  readonly kind: string;
  readonly ptsSeconds: number;
  readonly dtsSeconds: number;
  readonly durationSeconds: number;
  readonly keyframe: boolean;
}

interface RawPacket {
  codec_type?: string;
  pts_time?: string;
  dts_time?: string;
  duration_time?: string;
  flags?: string;
}

/** ffprobe's packets of `input` (a file or URL), optionally with LIVE_INPUT first. */
export async function probeLive(input: string, live = true): Promise<LivePacket[]> {
  const out = await runFfprobeJson<{ packets?: RawPacket[] }>([
    ...(live ? LIVE_INPUT : []),
    '-show_entries', 'packet=codec_type,pts_time,dts_time,duration_time,flags',
    input,
  ]);
  return (out.packets ?? []).map((p) => ({
    kind: p.codec_type ?? 'unknown',
    ptsSeconds: Number(p.pts_time),
    dtsSeconds: Number(p.dts_time),
    durationSeconds: Number(p.duration_time),
    keyframe: (p.flags ?? '').includes('K'),
  }));
}

export function ofKind(packets: readonly LivePacket[], kind: string): LivePacket[] {
  return packets.filter((p) => p.kind === kind);
}

/** Indexes where dts falls back (decode order must only rise within one session). */
export function dtsFallbacks(packets: readonly LivePacket[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < packets.length; i++) if (packets[i]!.dtsSeconds < packets[i - 1]!.dtsSeconds) out.push(i);
  return out;
}

/**
 * Audio packets that start before the previous one ended (pts[n] < pts[n−1] + duration[n−1]), with
 * a tolerance of half a millisecond for ffprobe's rounding of times to microseconds.
 */
export function audioOverlaps(audio: readonly LivePacket[]): Array<{ index: number; overlapMs: number }> {
  const out: Array<{ index: number; overlapMs: number }> = [];
  for (let i = 1; i < audio.length; i++) {
    const prev = audio[i - 1]!;
    const overlapMs = (prev.ptsSeconds + prev.durationSeconds - audio[i]!.ptsSeconds) * 1000;
    if (overlapMs > 0.5) out.push({ index: i, overlapMs });
  }
  return out;
}

/** Decodes `input` to null with `-v error -xerror`; resolves with ffmpeg's exit and stderr. */
export async function decodeToNull(input: string, inputArgs: readonly string[], timeoutMs: number): Promise<{ code: number | null; stderr: string; timedOut: boolean }> {
  const run = await spawnFfmpeg(['-v', 'error', '-xerror', ...inputArgs, '-i', input, '-f', 'null', '-'], { timeoutMs });
  const r = await run.done;
  return { code: r.code, stderr: r.stderr, timedOut: r.timedOut };
}

/** The media playlist's segment URIs and tags, read line by line. */
export interface MediaPlaylistText {
  readonly mediaSequence: number;
  readonly segments: ReadonlyArray<{ uri: string; discontinuity: boolean }>;
  readonly ended: boolean;
}

/** Parses just what the live tests check; a full parser lives in test/hls/m3u8-parser.ts. */
export function readMediaPlaylist(text: string): MediaPlaylistText {
  const lines = text.split('\n');
  const sequence = /^#EXT-X-MEDIA-SEQUENCE:(\d+)$/m.exec(text);
  const segments: Array<{ uri: string; discontinuity: boolean }> = [];
  let discontinuity = false;
  for (const line of lines) {
    if (line === '#EXT-X-DISCONTINUITY') discontinuity = true;
    else if (line !== '' && !line.startsWith('#')) {
      segments.push({ uri: line, discontinuity });
      discontinuity = false;
    }
  }
  return { mediaSequence: sequence === null ? Number.NaN : Number(sequence[1]), segments, ended: lines.includes('#EXT-X-ENDLIST') };
}
