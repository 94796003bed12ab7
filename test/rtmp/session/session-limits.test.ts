import { afterEach, describe, expect, it } from 'vitest';
import { RtmpClient, type StreamRefusal } from '../../../src/rtmp/index.js';
import { startServer, type TestServer } from '../../helpers/rtmp.js';

/** Issue 15: per-session limits of RtmpServer used on its own (a library user's view). */
describe('RtmpServer session limits', () => {
  let ts: TestServer | undefined;
  afterEach(async () => {
    await ts?.close();
    ts = undefined;
  });

  it('maxStreamsPerSession: the publish past it is refused with NetStream.Publish.BadName and a refusedStream event', async () => {
    ts = await startServer({ maxStreamsPerSession: 2 });
    const refusals: StreamRefusal[] = [];
    ts.server.on('refusedStream', (_s, r) => refusals.push(r));
    const client = await RtmpClient.connect(ts.url('live'));
    client.on('error', () => undefined);
    await client.publish('one');
    await client.publish('two');
    await expect(client.publish('three')).rejects.toMatchObject({ code: 'ERR_RTMP_REJECTED' });
    expect(refusals).toEqual([{ kind: 'publish', app: 'live', streamKey: 'three', reason: 'this connection already has 2 streams (maxStreamsPerSession)', statusCode: 'NetStream.Publish.BadName' }]);
    await client.close();
  });

  it('a name outside the rule is refused before any listener hears of the publish', async () => {
    ts = await startServer();
    let heard = 0;
    ts.server.on('publish', () => void heard++);
    const client = await RtmpClient.connect(ts.url('live'));
    client.on('error', () => undefined);
    await expect(client.publish('a/b')).rejects.toMatchObject({ code: 'ERR_RTMP_REJECTED' });
    expect(heard).toBe(0);
    await client.close();
  });

  it('noStreamTimeoutMs: a session that only pings is closed with ERR_RTMP_NO_STREAM_TIMEOUT; one that publishes is not', async () => {
    ts = await startServer({ noStreamTimeoutMs: 300 });
    const errors: string[] = [];
    ts.server.on('sessionError', (_s, e) => errors.push(e.code));
    const idle = await RtmpClient.connect(ts.url('live'));
    idle.on('error', () => undefined);
    const busy = await RtmpClient.connect(ts.url('live'));
    await busy.publish('busy');
    const closed = new Promise<void>((resolve) => idle.once('close', () => resolve()));
    const started = Date.now();
    await closed;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(errors).toEqual(['ERR_RTMP_NO_STREAM_TIMEOUT']);
    await new Promise((r) => setTimeout(r, 700));
    expect(ts.server.sessions.size).toBe(1);
    await busy.close();
  });
});
