import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

/**
 * OBS Studio 29.0.2 publishing for 70 s (fixtures/rtmp/obs-29.0.2-720p-70s/, README there): the
 * client → server bytes and, per socket read, when it arrived. Replayed to a server at the recorded
 * pace, read by read, it is OBS as the server saw it: its first GOP of 1 999 ms, B-frames, audio
 * from 66 ms, and how audio and video interleave across reads. The handshake's C2 was made
 * against the recording server; ours does not check it.
 */
const DIR = new URL('../../fixtures/rtmp/obs-29.0.2-720p-70s/', import.meta.url);
/** What OBS published to: app `live`, stream key `obscap`. */
export const OBS_STREAM = 'live/obscap';
/** Media seconds in the transcript (its last read is at about 70 s). */
export const OBS_SECONDS = 70;

interface Read {
  atMs: number;
  offset: number;
  length: number;
}

let cached: { bytes: Buffer; reads: Read[] } | undefined;

function transcript(): { bytes: Buffer; reads: Read[] } {
  if (cached !== undefined) return cached;
  const bytes = readFileSync(new URL('publish.c2s.bin', DIR));
  const reads = readFileSync(new URL('publish.c2s.index', DIR), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [atMs, offset, length] = line.split(' ').map(Number) as [number, number, number];
      return { atMs, offset, length };
    });
  cached = { bytes, reads };
  return cached;
}

export interface ObsReplay {
  /** Resolves when every read up to `seconds` was written (or the replay was stopped). */
  readonly done: Promise<void>;
  /** Ends the replay: the socket is destroyed, as if OBS had quit. */
  stop(): void;
}

/**
 * Replays the transcript to `rtmp://127.0.0.1:<port>` at its recorded pace (or, `paced: false`, as
 * fast as the socket takes it), for `seconds` of it (default the whole). What the server answers is
 * read and dropped, as OBS would read it.
 */
export function replayObs(port: number, seconds = OBS_SECONDS, options: { paced?: boolean } = {}): ObsReplay {
  const paced = options.paced ?? true;
  const { bytes, reads } = transcript();
  const socket: Socket = connect(port, '127.0.0.1');
  socket.on('data', () => {});
  socket.on('error', () => {});
  let stopped = false;
  const done = (async () => {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const start = performance.now();
    for (const read of reads) {
      if (stopped || read.atMs > seconds * 1000) break;
      const wait = read.atMs - (performance.now() - start);
      if (paced && wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      if (stopped) break;
      socket.write(bytes.subarray(read.offset, read.offset + read.length));
    }
  })();
  return {
    done,
    stop: () => {
      stopped = true;
      socket.destroy();
    },
  };
}
