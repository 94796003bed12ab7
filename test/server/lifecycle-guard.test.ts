import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFlvFile } from '../../src/flv/index.js';
import { RtmpClient } from '../../src/rtmp/index.js';
import { createMediaServer, type MediaServer } from '../../src/server/index.js';
import { MemoryStore, type StoredFile } from '../../src/store/index.js';

/**
 * Issue 15: no exception from a stream's lifecycle reaches the process. A store that fails at the
 * worst moments (the end-grace timer's ENDLIST write, the retention timer's list and deletes, and
 * asynchronously) must give streamError events (ERR_MEDIA_STREAM_LIFECYCLE with the failure as
 * cause) and nothing else: no uncaughtException, no unhandledRejection, and a clean close().
 */
class FailingStore extends MemoryStore {
  failPuts = false;
  failAsync = false;
  failList = false;

  override put(path: string, file: StoredFile): void {
    if (this.failPuts) throw new Error(`disk on fire: ${path}`);
    super.put(path, file);
  }

  async putAsync(path: string, file: StoredFile): Promise<void> {
    await Promise.resolve();
    if (this.failAsync) throw new Error(`async failure: ${path}`);
    super.put(path, file);
  }

  override list(prefix?: string): string[] {
    if (this.failList) throw new Error('list failed');
    return super.list(prefix);
  }
}

const { tags } = readFlvFile(readFileSync(new URL('../../fixtures/media/h264-aac.flv', import.meta.url)));
const processErrors: unknown[] = [];
const onProcessError = (e: unknown): void => void processErrors.push(e);

async function publishSeconds(server: MediaServer, key: string, seconds: number): Promise<RtmpClient> {
  const { port } = server.rtmp.address();
  const client = await RtmpClient.connect(`rtmp://127.0.0.1:${port}/live`);
  const stream = await client.publish(key);
  for (const t of tags.filter((t) => t.timestamp <= seconds * 1000)) {
    if (t.type === 8) stream.writeAudio(t.timestamp, t.body);
    else if (t.type === 9) stream.writeVideo(t.timestamp, t.body);
  }
  return client;
}

describe('stream lifecycle failures stay with their stream', () => {
  beforeEach(() => {
    processErrors.length = 0;
    process.on('uncaughtException', onProcessError);
    process.on('unhandledRejection', onProcessError);
  });
  afterEach(() => {
    process.off('uncaughtException', onProcessError);
    process.off('unhandledRejection', onProcessError);
  });

  it('a store that throws when the grace timer ends the playlists, and when the retention timer cleans up: streamError, no process error', async () => {
    const store = new FailingStore();
    const server = createMediaServer({ rtmp: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1' }, store, endGraceMs: 100, endedRetentionMs: 200 });
    await server.listen();
    const errors: Array<{ key: string; code: string | undefined; step: unknown }> = [];
    server.on('streamError', (s, e) => errors.push({ key: s.streamKey, code: (e as { code?: string }).code, step: (e as { details?: { step?: unknown } }).details?.step }));
    const client = await publishSeconds(server, 'fragile', 3);
    await expect.poll(() => store.list('live/fragile/').length, { timeout: 5000 }).toBeGreaterThan(3);
    store.failPuts = true;
    store.failList = true;
    await client.close();
    await expect.poll(() => errors.map((e) => e.step), { timeout: 5000 }).toEqual(expect.arrayContaining(['pause', 'end', 'forget']));
    expect(errors.every((e) => e.key === 'fragile' && e.code === 'ERR_MEDIA_STREAM_LIFECYCLE')).toBe(true);
    expect(server.counters.streamErrors).toBe(errors.length);
    // The server goes on: another stream publishes and packages.
    store.failPuts = false;
    store.failList = false;
    const other = await publishSeconds(server, 'sturdy', 3);
    await expect.poll(() => store.list('live/sturdy/').length, { timeout: 5000 }).toBeGreaterThan(3);
    await other.close();
    await server.close();
    expect(processErrors).toEqual([]);
  });

  it('an asynchronous store whose writes reject: streamError for that stream; close() still resolves', async () => {
    const failing = new FailingStore();
    const store = {
      put: (p: string, f: StoredFile) => failing.putAsync(p, f),
      get: (p: string) => failing.get(p),
      delete: (p: string) => failing.delete(p),
      list: async (p?: string) => failing.list(p),
    };
    const server = createMediaServer({ rtmp: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1' }, store, endGraceMs: 60_000 });
    await server.listen();
    const codes: unknown[] = [];
    server.on('streamError', (_s, e) => codes.push((e as { message?: string }).message));
    failing.failAsync = true;
    const client = await publishSeconds(server, 'async', 3);
    await expect.poll(() => codes.length, { timeout: 5000 }).toBeGreaterThan(0);
    await client.close();
    await server.close();
    expect(codes.some((m) => String(m).includes('async failure'))).toBe(true);
    expect(processErrors).toEqual([]);
  });
});
