import { describe, expect, it } from 'vitest';
import type { AmfObject } from '../../../src/amf/index.js';
import {
  MessageType,
  UserControlEvent,
  userControlMessage,
  windowAckSizeMessage,
  type RtmpMessage,
  type StatusInfo,
} from '../../../src/rtmp/message/index.js';
import { ChunkReader } from '../../../src/rtmp/chunk/index.js';
import { readControlValue, readUserControl } from '../../../src/rtmp/message/index.js';
import type { PlayerStream, PublishRequest } from '../../../src/rtmp/session/index.js';
import type { FakeTransport } from './fake-transport.js';
import { flush, sessionPair } from './pair.js';

function media(typeId: number, timestamp: number, messageStreamId: number, byte: number): RtmpMessage {
  return { chunkStreamId: typeId === MessageType.AUDIO ? 6 : 7, typeId, timestamp, messageStreamId, payload: new Uint8Array([byte, 1, 2, 3]) };
}

async function connected(serverOptions = {}) {
  const pair = sessionPair(serverOptions);
  const statuses: [string, number][] = [];
  pair.client.on('status', (info: StatusInfo, id: number) => statuses.push([info.code, id]));
  const result = pair.client.call('connect', { app: 'live?tok=9', tcUrl: 'rtmp://h/live', objectEncoding: 0 });
  pair.pump();
  const r = await result;
  expect((r.args[0] as AmfObject)['code']).toBe('NetConnection.Connect.Success');
  return { ...pair, statuses };
}

async function createStream(pair: Awaited<ReturnType<typeof connected>>): Promise<number> {
  const p = pair.client.call('createStream', null);
  pair.pump();
  return (await p).args[0] as number;
}

/** Every message the server wrote so far, decoded from the start (header compression needs it). */
function serverMessages(t: FakeTransport): RtmpMessage[] {
  const r = new ChunkReader();
  r.push(t.bytes().subarray(3073));
  const out: RtmpMessage[] = [];
  for (let m = r.read(); m !== null; m = r.read()) out.push(m);
  return out;
}

describe('ServerSession', () => {
  it('connect sets the chunk size and reports app and query', async () => {
    const pair = await connected();
    expect(pair.server.connectInfo).toMatchObject({ app: 'live', query: 'tok=9', tcUrl: 'rtmp://h/live' });
    expect(pair.client.peerChunkSize).toBe(4096);
  });

  it('publish → Stream Begin and Publish.Start, media events, deleteStream → unpublish', async () => {
    const pair = await connected();
    const requests: PublishRequest[] = [];
    const got: number[] = [];
    const unpublished: string[] = [];
    pair.server.on('publish', (r) => requests.push(r));
    pair.server.on('video', (m) => got.push(m.timestamp));
    pair.server.on('unpublish', (s) => unpublished.push(s.streamKey));
    const id = await createStream(pair);
    pair.client.notify('publish', ['cam1?secret=x', 'live'], id);
    for (let t = 0; t < 5; t++) pair.client.send(media(MessageType.VIDEO, t * 33, id, 0x17));
    pair.pump();
    expect(requests.map((r) => [r.app, r.streamKey, r.query, r.publishType])).toEqual([['live', 'cam1', 'secret=x', 'live']]);
    expect(pair.statuses).toEqual([['NetStream.Publish.Start', id]]);
    expect(got).toEqual([0, 33, 66, 99, 132]);
    pair.client.notify('deleteStream', [id]);
    pair.pump();
    expect(unpublished).toEqual(['cam1']);
  });

  it('an async check holds the frames sent right after publish, then delivers them all in order', async () => {
    const pair = await connected();
    let allow!: (ok: boolean) => void;
    pair.server.on('publish', (r) => r.waitFor(new Promise<boolean>((resolve) => (allow = resolve))));
    const got: number[] = [];
    pair.server.on('audio', (m) => got.push(m.timestamp));
    const id = await createStream(pair);
    pair.client.notify('publish', ['k'], id);
    for (let t = 0; t < 50; t++) pair.client.send(media(MessageType.AUDIO, t * 23, id, 0xaf));
    pair.pump();
    expect(pair.st.paused).toBe(true);
    expect(got).toEqual([]);
    allow(true);
    await flush();
    pair.pump();
    expect(pair.st.paused).toBe(false);
    expect(got).toEqual(Array.from({ length: 50 }, (_, t) => t * 23));
    expect(pair.statuses).toEqual([['NetStream.Publish.Start', id]]);
  });

  it('a refused publish gets Publish.BadName and the connection closes', async () => {
    const pair = await connected();
    pair.server.on('publish', (r) => r.reject('no such key'));
    const id = await createStream(pair);
    pair.client.notify('publish', ['k'], id);
    pair.pump();
    expect(pair.statuses).toEqual([['NetStream.Publish.BadName', id]]);
    expect(pair.server.closed).toBe(true);
    expect(pair.st.ended).toBe(true);
  });

  it('an async check that rejects refuses too', async () => {
    const pair = await connected();
    pair.server.on('publish', (r) => r.waitFor(Promise.reject(new Error('auth service says no'))));
    const id = await createStream(pair);
    pair.client.notify('publish', ['k'], id);
    pair.pump();
    await flush();
    pair.pump();
    expect(pair.statuses).toEqual([['NetStream.Publish.BadName', id]]);
  });

  it('play → Reset, Start, sample access and Data.Start; the player gets what is written; pause holds media', async () => {
    const pair = await connected();
    let player: PlayerStream | undefined;
    pair.server.on('playing', (p) => (player = p));
    const video: number[] = [];
    const data: RtmpMessage[] = [];
    pair.client.on('video', (m) => video.push(m.timestamp));
    pair.client.on('data', (m) => data.push(m));
    const id = await createStream(pair);
    pair.client.notify('play', ['k', -2, -1, true], id);
    pair.pump();
    expect(pair.statuses).toEqual([['NetStream.Play.Reset', id], ['NetStream.Play.Start', id]]);
    expect(data).toHaveLength(2);
    player!.writeVideo(40, new Uint8Array([0x17, 0, 0]), { keyframe: true });
    pair.pump();
    expect(video).toEqual([40]);
    pair.client.notify('pause', [true, 0], id);
    pair.pump();
    player!.writeVideo(80, new Uint8Array([0x27, 1, 0]));
    pair.client.notify('pause', [false, 0], id);
    pair.pump();
    player!.writeVideo(120, new Uint8Array([0x27, 1, 0]));
    pair.pump();
    expect(video).toEqual([40, 120]);
    expect(pair.statuses.slice(2).map(([c]) => c)).toEqual(['NetStream.Pause.Notify', 'NetStream.Unpause.Notify']);
  });

  it('a refused play gets Play.StreamNotFound and the connection stays', async () => {
    const pair = await connected();
    pair.server.on('play', (r) => r.reject('not live'));
    const id = await createStream(pair);
    pair.client.notify('play', ['k'], id);
    pair.pump();
    expect(pair.statuses).toEqual([['NetStream.Play.StreamNotFound', id]]);
    expect(pair.server.closed).toBe(false);
  });

  it('seek fails cleanly for live; unknown calls get _error; ping requests are answered', async () => {
    const pair = await connected();
    const id = await createStream(pair);
    pair.client.notify('seek', [1000], id);
    const unknown = pair.client.call('noSuchMethod', null).catch((e: { code: string; details: { code: string } }) => [e.code, e.details.code]);
    pair.client.send(userControlMessage(UserControlEvent.PING_REQUEST, 777));
    pair.pump();
    expect(pair.statuses).toEqual([['NetStream.Seek.Failed', id]]);
    expect(await unknown).toEqual(['ERR_RTMP_REJECTED', 'NetConnection.Call.Failed']);
    const pongs = serverMessages(pair.st).filter((m) => m.typeId === MessageType.USER_CONTROL).map((m) => readUserControl(m));
    expect(pongs).toContainEqual({ event: UserControlEvent.PING_RESPONSE, value: 777 });
  });

  it('acknowledges every window of received bytes', async () => {
    const pair = await connected();
    pair.client.send(windowAckSizeMessage(5000));
    pair.pump();
    pair.server.on('publish', () => undefined);
    const id = await createStream(pair);
    pair.client.notify('publish', ['k'], id);
    pair.pump();
    for (let i = 0; i < 20; i++) pair.client.send({ chunkStreamId: 7, typeId: MessageType.VIDEO, timestamp: i, messageStreamId: id, payload: new Uint8Array(1000) });
    pair.pump();
    const acks = serverMessages(pair.st).filter((m) => m.typeId === MessageType.ACKNOWLEDGEMENT).map((m) => readControlValue(m));
    // About 21 000 bytes received in all with a 5000-byte window: 4 acks, each at a window boundary or past it.
    expect(acks.length).toBe(Math.floor(pair.server.bytesReceived / 5000));
    acks.forEach((value, i) => expect(value).toBeGreaterThanOrEqual((i + 1) * 5000));
  });

  it('media on a stream that is not publishing and commands before connect close the session with typed errors', async () => {
    const pair = await connected();
    const errors: string[] = [];
    pair.server.on('error', (e) => errors.push(e.code));
    pair.client.send(media(MessageType.VIDEO, 0, 1, 0x17));
    pair.pump();
    expect(errors).toEqual(['ERR_RTMP_UNEXPECTED_COMMAND']);
    expect(pair.st.destroyed).toBe(true);

    const early = sessionPair();
    const e2: string[] = [];
    early.server.on('error', (e) => e2.push(e.code));
    early.client.notify('publish', ['k'], 1);
    early.pump();
    expect(e2).toEqual(['ERR_RTMP_UNEXPECTED_COMMAND']);
  });
});

describe('PlayerStream drop policy', () => {
  async function playing(maxOutgoingBufferBytes: number) {
    const pair = await connected({ maxOutgoingBufferBytes });
    let player: PlayerStream | undefined;
    pair.server.on('playing', (p) => (player = p));
    const id = await createStream(pair);
    pair.client.notify('play', ['k'], id);
    pair.pump();
    return { ...pair, player: player! };
  }

  it('skips to the next keyframe once the socket backs up, and sends essentials regardless', async () => {
    const { player, st } = await playing(10_000);
    const sent = (): number => st.written.length;
    st.pendingBytes = 12_000;
    let n = sent();
    player.writeVideo(0, new Uint8Array(10), {});
    expect(sent()).toBe(n);
    player.writeVideo(0, new Uint8Array(10), { essential: true });
    expect(sent()).toBe(n + 1);
    n = sent();
    st.pendingBytes = 6_000; // drained, but not to half
    player.writeVideo(0, new Uint8Array(10), { keyframe: true });
    player.writeAudio(0, new Uint8Array(10));
    expect(sent()).toBe(n);
    st.pendingBytes = 4_000;
    player.writeVideo(0, new Uint8Array(10), {});
    expect(sent()).toBe(n);
    player.writeVideo(0, new Uint8Array(10), { keyframe: true });
    player.writeAudio(0, new Uint8Array(10));
    expect(sent()).toBe(n + 2);
    expect(player.dropped).toBe(4);
  });

  it('disconnects a player past twice the limit with ERR_RTMP_OUTGOING_BUFFER_FULL', async () => {
    const { player, st, server } = await playing(10_000);
    const errors: string[] = [];
    server.on('error', (e) => errors.push(e.code));
    st.pendingBytes = 20_001;
    player.writeVideo(0, new Uint8Array(10), { keyframe: true });
    expect(errors).toEqual(['ERR_RTMP_OUTGOING_BUFFER_FULL']);
    expect(server.closed).toBe(true);
  });
});

describe('a throwing listener', () => {
  it('closes only its session, with ERR_RTMP_HANDLER_THREW and the thrown error as cause', async () => {
    const pair = await connected();
    const errors: { code: string; cause: unknown }[] = [];
    pair.server.on('error', (e) => errors.push({ code: e.code, cause: e.cause }));
    const boom = new Error('embedder bug');
    pair.server.on('publish', () => {
      throw boom;
    });
    const id = await createStream(pair);
    pair.client.notify('publish', ['k'], id);
    pair.pump();
    expect(errors).toEqual([{ code: 'ERR_RTMP_HANDLER_THREW', cause: boom }]);
    expect(pair.server.closed).toBe(true);
  });
});
