import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { readFlvFile, type FlvFileTag } from '../../src/flv/index.js';
import { RtmpClient, type PublishingStream } from '../../src/rtmp/index.js';
import { createMediaServer, type MediaServer, type MediaServerOptions, type RecordingEvent } from '../../src/server/index.js';

/**
 * The recorder's tests (test/server/recorder*.test.ts): a MediaServer on loopback recording into a
 * folder of its own, the 10 s fixture published over RTMP as fast as it is written (no ffmpeg),
 * and reads of what landed on disk.
 */

let fixture: FlvFileTag[] | undefined;

/** The tags of fixtures/media/h264-aac.flv (10 s: keyframes every 2 s, AAC). */
export function fixtureTags(): FlvFileTag[] {
  fixture ??= readFlvFile(readFileSync(new URL('../../fixtures/media/h264-aac.flv', import.meta.url))).tags;
  return fixture;
}

export interface RecordingServer {
  readonly server: MediaServer;
  readonly dir: string;
  readonly rtmpPort: number;
  readonly events: RecordingEvent[];
  /** Publishes the fixture's tags up to `untilMs` (media time) to `<app>/<key>`; the stream stays published. */
  publish(key: string, untilMs?: number, app?: string): Promise<{ stream: PublishingStream; client: RtmpClient }>;
  close(): Promise<void>;
}

/** A server with `record` (its dir a fresh temporary folder unless given) and any other options. */
export async function startRecordingServer(options: Omit<MediaServerOptions, 'record' | 'rtmp' | 'http'> & { record: Omit<NonNullable<MediaServerOptions['record']>, 'dir'> & { dir?: string } }): Promise<RecordingServer> {
  const dir = options.record.dir ?? (await mkdtemp(join(tmpdir(), 'tidecast-recorder-')));
  const server = createMediaServer({ ...options, record: { ...options.record, dir }, rtmp: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1' } });
  const events: RecordingEvent[] = [];
  server.on('recording', (e) => events.push(e));
  const { rtmp } = await server.listen();
  const clients: RtmpClient[] = [];
  return {
    server,
    dir,
    rtmpPort: rtmp.port,
    events,
    async publish(key, untilMs = Number.POSITIVE_INFINITY, app = 'live') {
      const client = await RtmpClient.connect(`rtmp://127.0.0.1:${rtmp.port}/${app}`);
      clients.push(client);
      const stream = await client.publish(key);
      for (const t of fixtureTags().filter((t) => t.timestamp <= untilMs)) {
        if (t.type === 8) stream.writeAudio(t.timestamp, t.body);
        else if (t.type === 9) stream.writeVideo(t.timestamp, t.body);
      }
      return { stream, client };
    },
    async close() {
      for (const client of clients) await client.close().catch(() => undefined);
      await server.close();
      if (options.record.dir === undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Every file under `dir`, relative, '/'-separated, sorted. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

export async function readText(path: string): Promise<string> {
  return readFile(path, 'utf8');
}

/** The segment URIs a media playlist lists, in order. */
export function listedUris(playlist: string): string[] {
  return playlist.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

/** The EXTINF durations a media playlist lists, in order. */
export function listedDurations(playlist: string): number[] {
  return [...playlist.matchAll(/^#EXTINF:([\d.]+),/gm)].map((m) => Number(m[1]));
}
