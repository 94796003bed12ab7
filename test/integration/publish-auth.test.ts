import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RtmpError } from '../../src/errors/index.js';
import { PublishingStream, RtmpClient, type StatusInfo } from '../../src/rtmp/index.js';
import {
  delay,
  loadFixtureTags,
  record,
  serverEvent,
  startServer,
  withTimeout,
  writeTag,
  type MessageRecord,
  type TestServer,
} from '../helpers/rtmp.js';

/*
 * Publish and play decisions: refused at once, decided by an async check (an auth call), and what
 * happens to media an encoder sends before it hears NetStream.Publish.Start. OBS and FFmpeg do not
 * wait for it: their first frames may be in flight while the check runs, and must not be lost.
 */

const tags = loadFixtureTags();
/** How long the async checks take: long enough that the client's media is surely sent before. */
const CHECK_MS = 100;

function rejection(err: unknown): { code: string; status: unknown; description: unknown } {
  expect(err).toBeInstanceOf(RtmpError);
  const e = err as RtmpError;
  return { code: e.code, status: e.details['code'], description: e.details['description'] };
}

function closed(client: RtmpClient): Promise<void> {
  return client.session.closed ? Promise.resolve() : new Promise((resolve) => client.once('close', () => resolve()));
}

/**
 * Publishes the way OBS does: createStream, then `publish` and the whole fixture right behind it,
 * without waiting for NetStream.Publish.Start. Returns what was sent and the statuses seen.
 */
async function publishWithoutWaiting(client: RtmpClient, streamKey: string): Promise<{ sent: MessageRecord[]; statuses: StatusInfo[]; stream: PublishingStream }> {
  const statuses: StatusInfo[] = [];
  client.on('status', (info) => statuses.push(info));
  const created = await client.session.call('createStream', null);
  const id = created.args[0] as number;
  client.session.notify('publish', [streamKey, 'live'], id);
  const stream = new PublishingStream(client, id, streamKey);
  const sent = tags.map((tag) => writeTag(stream, tag));
  return { sent, statuses, stream };
}

describe('publish and play authorization', () => {
  let ts: TestServer;
  const clients: RtmpClient[] = [];

  beforeEach(async () => {
    ts = await startServer();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await ts.close();
  });

  async function connect(): Promise<RtmpClient> {
    const c = await RtmpClient.connect(ts.url('live'));
    clients.push(c);
    return c;
  }

  it('a publish refused synchronously gets NetStream.Publish.BadName and is disconnected', async () => {
    ts.server.on('publish', (request) => request.reject('stream key not allowed'));
    const unpublished: string[] = [];
    ts.server.on('unpublish', (_s, stream) => unpublished.push(stream.streamKey));
    const client = await connect();
    const err = await client.publish('nope').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(rejection(err)).toEqual({ code: 'ERR_RTMP_REJECTED', status: 'NetStream.Publish.BadName', description: 'stream key not allowed' });
    await withTimeout(closed(client), 3000, 'server closing the refused publisher');
    expect(unpublished).toEqual([]);
  });

  it('an async check that accepts: media sent before Publish.Start is held, then delivered in full', async () => {
    let decidedAt = 0;
    ts.server.on('publish', (request) => {
      request.waitFor(delay(CHECK_MS).then(() => {
        decidedAt = Date.now();
        return true;
      }));
    });
    const received: MessageRecord[] = [];
    let firstMediaAt = 0;
    ts.server.on('session', (session) => {
      const onMedia = (m: Parameters<typeof record>[0]): void => {
        firstMediaAt ||= Date.now();
        received.push(record(m));
      };
      session.on('audio', onMedia);
      session.on('video', onMedia);
      session.on('data', onMedia);
    });
    const client = await connect();
    const startedAt = Date.now();
    const started = new Promise<void>((resolve) => client.on('status', (info) => info.code === 'NetStream.Publish.Start' && resolve()));
    const { sent, statuses, stream } = await publishWithoutWaiting(client, 'obs-like?token=ok');
    // Everything was written before the answer: the check is still running.
    expect(statuses.map((s) => s.code)).not.toContain('NetStream.Publish.Start');
    await withTimeout(started, 3000, 'NetStream.Publish.Start');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(CHECK_MS - 5);

    const unpublished = serverEvent(ts.server, 'unpublish');
    stream.unpublish();
    const [, published] = await withTimeout(unpublished, 3000, 'unpublish');
    expect(published).toMatchObject({ app: 'live', streamKey: 'obs-like', query: 'token=ok' });
    expect(received).toHaveLength(tags.length);
    expect(received).toEqual(sent);
    // The session did not hand media on before the decision.
    expect(firstMediaAt).toBeGreaterThanOrEqual(decidedAt);
  });

  it('an async check that refuses: BadName, disconnect, and none of the early media is delivered', async () => {
    ts.server.on('publish', (request) => request.waitFor(delay(CHECK_MS).then(() => false)));
    let media = 0;
    ts.server.on('session', (session) => {
      session.on('audio', () => media++);
      session.on('video', () => media++);
      session.on('data', () => media++);
    });
    const errors: string[] = [];
    ts.server.on('sessionError', (_s, e) => errors.push(e.code));
    const client = await connect();
    const { statuses } = await publishWithoutWaiting(client, 'refused');
    await withTimeout(closed(client), 3000, 'server closing the refused publisher');
    expect(statuses.map((s) => [s.level, s.code])).toContainEqual(['error', 'NetStream.Publish.BadName']);
    expect(statuses.map((s) => s.code)).not.toContain('NetStream.Publish.Start');
    expect(media).toBe(0);
    // A refusal is a decision, not a protocol error.
    expect(errors).toEqual([]);
  });

  it('an async check that fails (rejects) refuses with its message', async () => {
    ts.server.on('publish', (request) => request.waitFor(delay(CHECK_MS).then(() => Promise.reject(new Error('token expired')))));
    const client = await connect();
    const err = await client.publish('late').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(rejection(err)).toEqual({ code: 'ERR_RTMP_REJECTED', status: 'NetStream.Publish.BadName', description: 'token expired' });
    await withTimeout(closed(client), 3000, 'server closing the refused publisher');
  });

  it('a play refused gets NetStream.Play.StreamNotFound; the connection stays usable', async () => {
    ts.server.on('play', (request) => {
      if (request.streamKey === 'missing') request.reject('no such stream');
    });
    const client = await connect();
    const err = await client.play('missing').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(rejection(err)).toEqual({ code: 'ERR_RTMP_REJECTED', status: 'NetStream.Play.StreamNotFound', description: 'no such stream' });
    expect(client.session.closed).toBe(false);
    await expect(client.play('present')).resolves.toBeGreaterThan(0);
  });

  it('a play refused by an async check gets NetStream.Play.StreamNotFound', async () => {
    ts.server.on('play', (request) => request.waitFor(delay(CHECK_MS).then(() => false)));
    const client = await connect();
    const err = await client.play('anything').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(rejection(err)).toMatchObject({ code: 'ERR_RTMP_REJECTED', status: 'NetStream.Play.StreamNotFound' });
  });
});
