import { performance } from 'node:perf_hooks';
import { parseAudioTag, parseVideoTag, readFlvFile } from '../flv/index.js';
import { RtmpClient, type PublishingStream } from '../rtmp/index.js';
import { sleep } from './loadgen-viewer.js';

/**
 * A real-time publisher for the load generator: the project's RTMP client publishing the tags of an
 * FLV recording at the pace of their timestamps (as `ffmpeg -re -stream_loop -1 … -c copy`), looped
 * with timestamps that keep increasing; metadata and the codec configurations go out on the first
 * pass only (a decoder keeps them; a loop starts on the recording's first keyframe).
 */

export interface ReplayTag {
  readonly type: 8 | 9 | 18;
  /** Milliseconds from the recording's first tag. */
  readonly offsetMs: number;
  readonly body: Uint8Array;
  /** Metadata or a codec configuration (sequence start): sent on the first pass only (and after a reconnect). */
  readonly once: boolean;
  /** A video keyframe: where a publish that reconnected resumes. */
  readonly keyframe: boolean;
}

export interface Recording {
  readonly tags: readonly ReplayTag[];
  /** One pass: the last tag's offset plus one video frame interval, so the next pass follows on. */
  readonly loopMs: number;
}

/** When the recording does not tell (one video frame or none): 1/30 s. */
const DEFAULT_FRAME_MS = 33;

/** An FLV file's bytes → the tags to replay. */
export function recordingOf(bytes: Uint8Array): Recording {
  const { tags } = readFlvFile(bytes);
  const first = tags[0]?.timestamp ?? 0;
  const replay = tags.map((t): ReplayTag => ({ type: t.type, offsetMs: t.timestamp - first, body: t.body, once: isOnce(t.type, t.body), keyframe: isKeyframe(t.type, t.body) }));
  const video = replay.filter((t) => t.type === 9 && !t.once);
  const frameMs = video.length > 1 ? video.at(-1)!.offsetMs - video.at(-2)!.offsetMs : DEFAULT_FRAME_MS;
  const lastMs = Math.max(0, ...replay.map((t) => t.offsetMs));
  return { tags: replay, loopMs: lastMs + Math.max(1, frameMs) };
}

function isKeyframe(type: 8 | 9 | 18, body: Uint8Array): boolean {
  try {
    if (type !== 9) return false;
    const tag = parseVideoTag(body);
    return tag.frameType === 'key' && tag.packetType === 'coded-frames';
  } catch {
    return false;
  }
}

function isOnce(type: 8 | 9 | 18, body: Uint8Array): boolean {
  try {
    if (type === 18) return true;
    return (type === 9 ? parseVideoTag(body) : parseAudioTag(body)).packetType === 'sequence-start';
  } catch {
    return false;
  }
}

export interface PublisherStats {
  readonly url: string;
  tags: number;
  bytes: number;
  /** Whole passes over the recording. */
  loops: number;
  /** How late the latest tag went out against its due time (the event loop was busy). */
  maxLateMs: number;
  /** Publishes made again after the connection was lost (with `reconnect`). */
  reconnects: number;
  /** The last reason a publish ended before it was stopped. */
  error: string | undefined;
}

/**
 * Between a lost connection and the next attempt, with `reconnect`: about what OBS waits (its
 * first retry), and long enough for a balancer to mark a dead origin down (2 failed probes).
 */
export const RECONNECT_DELAY_MS = 1000;

interface Connection {
  readonly client: RtmpClient;
  readonly stream: PublishingStream;
  closed: boolean;
}

/**
 * Publishes a recording to `url` (rtmp://host:port/app/key) in real time until `signal` aborts.
 * With `reconnect`, a lost connection is made again (every RECONNECT_DELAY_MS until it works), and
 * the replay goes on at the wall clock's position from the next keyframe, metadata and sequence
 * headers first — as an encoder with automatic reconnection does (through a balancer, the publish
 * may land on another origin).
 */
export class ReplayPublisher {
  readonly stats: PublisherStats;
  readonly done: Promise<void>;
  #connection: Connection;

  private constructor(
    readonly url: string,
    connection: Connection,
    recording: Recording,
    readonly signal: AbortSignal,
    readonly reconnect: boolean,
  ) {
    this.#connection = connection;
    this.stats = { url, tags: 0, bytes: 0, loops: 0, maxLateMs: 0, reconnects: 0, error: undefined };
    this.#watch(connection);
    this.done = this.#replay(recording).finally(async () => {
      const c = this.#connection;
      if (!c.closed) {
        c.stream.unpublish();
        await c.client.close();
      }
    });
  }

  /** Connects and publishes, then replays in the background (`done` settles when it ends). */
  static async start(url: string, recording: Recording, signal: AbortSignal, options: { reconnect?: boolean } = {}): Promise<ReplayPublisher> {
    return new ReplayPublisher(url, await connect(url), recording, signal, options.reconnect ?? false);
  }

  #watch(c: Connection): void {
    c.client.on('error', (e) => (this.stats.error = e.message));
    c.client.on('close', () => {
      c.closed = true;
      if (!this.signal.aborted && this.stats.error === undefined) this.stats.error = 'connection closed';
    });
  }

  async #replay(recording: Recording): Promise<void> {
    const startedAt = performance.now();
    // After a reconnect: the configurations again, then nothing until a keyframe.
    let resuming = false;
    for (let pass = 0; ; pass++) {
      const passMs = pass * recording.loopMs;
      for (const tag of recording.tags) {
        if (pass > 0 && tag.once) continue;
        const lateMs = performance.now() - (startedAt + passMs + tag.offsetMs);
        if (lateMs < 0) await sleep(-lateMs, this.signal);
        else if (!resuming) this.stats.maxLateMs = Math.max(this.stats.maxLateMs, lateMs);
        if (this.signal.aborted) return;
        if (this.#connection.closed) {
          if (!this.reconnect || !(await this.#reconnect())) return;
          for (const header of recording.tags.filter((t) => t.once)) this.#send(header, passMs + tag.offsetMs);
          resuming = true;
        }
        if (resuming && !tag.keyframe) continue;
        resuming = false;
        this.#send(tag, passMs + tag.offsetMs);
      }
      this.stats.loops++;
    }
  }

  /** Connects and publishes again until it works (true) or the run stops (false). */
  async #reconnect(): Promise<boolean> {
    while (!this.signal.aborted) {
      await sleep(RECONNECT_DELAY_MS, this.signal);
      if (this.signal.aborted) return false;
      try {
        this.#connection = await connect(this.url);
        this.#watch(this.#connection);
        this.stats.reconnects++;
        return true;
      } catch (err) {
        this.stats.error = (err as Error).message;
      }
    }
    return false;
  }

  #send(tag: ReplayTag, timestamp: number): void {
    const { stream } = this.#connection;
    if (tag.type === 9) stream.writeVideo(timestamp, tag.body);
    else if (tag.type === 8) stream.writeAudio(timestamp, tag.body);
    else stream.writeDataPayload(timestamp, tag.body);
    this.stats.tags++;
    this.stats.bytes += tag.body.byteLength;
  }
}

async function connect(url: string): Promise<Connection> {
  const client = await RtmpClient.connect(url);
  try {
    return { client, stream: await client.publish(), closed: false };
  } catch (err) {
    await client.close();
    throw err;
  }
}
