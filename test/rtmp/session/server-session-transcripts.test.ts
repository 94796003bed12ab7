import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AmfObject } from '../../../src/amf/index.js';
import { ChunkReader } from '../../../src/rtmp/chunk/index.js';
import { MessageType, decodeCommand, readControlValue, readUserControl, type Command, type RtmpMessage } from '../../../src/rtmp/message/index.js';
import { ServerSession } from '../../../src/rtmp/session/index.js';
import { FakeTransport } from './fake-transport.js';

const HANDSHAKE = 1 + 1536 + 1536;

interface Transcript {
  file: string;
  key: string;
}

const transcripts: Transcript[] = [
  { file: 'obs-29.0.2-publish.c2s.bin', key: 'obskey' },
  { file: 'ffmpeg-5.1-publish.c2s.bin', key: 'ffkey' },
  { file: 'gstreamer-1.22-rtmp2sink-publish.c2s.bin', key: 'gstkey' },
  { file: 'librtmp-2.4-rtmpsink-publish.c2s.bin', key: 'gstkey2' },
];

function load(file: string): Buffer {
  return readFileSync(new URL(`../../../fixtures/rtmp/${file}`, import.meta.url));
}

/** The client's messages, read independently of the session. */
function clientMessages(bytes: Buffer): RtmpMessage[] {
  const r = new ChunkReader();
  r.push(bytes.subarray(HANDSHAKE));
  const out: RtmpMessage[] = [];
  for (let m = r.read(); m !== null; m = r.read()) out.push(m);
  return out;
}

/** What the session answered: S0+S1+S2, then messages. */
function serverMessages(t: FakeTransport): RtmpMessage[] {
  const bytes = t.bytes();
  expect(bytes[0]).toBe(3);
  const r = new ChunkReader();
  r.push(bytes.subarray(HANDSHAKE));
  const out: RtmpMessage[] = [];
  for (let m = r.read(); m !== null; m = r.read()) out.push(m);
  expect(r.buffered).toBe(0);
  return out;
}

function commands(ms: RtmpMessage[]): Command[] {
  return ms.filter((m) => m.typeId === MessageType.COMMAND_AMF0).map((m) => decodeCommand(m));
}

function info(c: Command): AmfObject {
  return c.args[0] as AmfObject;
}

describe('ServerSession fed real client transcripts', () => {
  for (const { file, key } of transcripts) {
    it(`answers ${file} as the client expects`, () => {
      const bytes = load(file);
      const sent = clientMessages(bytes);
      const transport = new FakeTransport();
      const session = new ServerSession(transport);
      const seen = { audio: 0, video: 0, data: 0, publish: [] as string[], errors: [] as unknown[] };
      session.on('publish', (req) => seen.publish.push(`${req.app}/${req.streamKey}`));
      session.on('audio', () => seen.audio++);
      session.on('video', () => seen.video++);
      session.on('data', () => seen.data++);
      session.on('error', (e) => seen.errors.push(e));
      // Delivered in socket-sized pieces, as a server would receive them.
      for (let i = 0; i < bytes.length; i += 65536) session.receive(bytes.subarray(i, i + 65536));

      expect(seen.errors).toEqual([]);
      expect(session.closed).toBe(false);
      expect(seen.publish).toEqual([`live/${key}`]);
      expect(seen.audio).toBe(sent.filter((m) => m.typeId === MessageType.AUDIO).length);
      expect(seen.video).toBe(sent.filter((m) => m.typeId === MessageType.VIDEO).length);
      expect(seen.data).toBe(sent.filter((m) => m.typeId === MessageType.DATA_AMF0).length);

      const replies = serverMessages(transport);
      // Connect is answered by Window Ack Size, Set Peer Bandwidth and Set Chunk Size first (as nginx-rtmp does).
      expect(replies.slice(0, 3).map((m) => m.typeId)).toEqual([MessageType.WINDOW_ACK_SIZE, MessageType.SET_PEER_BANDWIDTH, MessageType.SET_CHUNK_SIZE]);
      expect(readControlValue(replies[2]!)).toBe(4096);

      const asked = commands(sent);
      const answered = commands(replies);
      const connect = asked.find((c) => c.name === 'connect')!;
      const connectResult = answered.find((c) => c.transactionId === connect.transactionId)!;
      expect(connectResult.name).toBe('_result');
      expect(info(connectResult)['code']).toBe('NetConnection.Connect.Success');

      // Every call with a transaction id gets exactly one _result with that id, except the
      // NetStream commands, which are answered by onStatus (7.2.2) even when a client numbers them.
      const byStatus = new Set(['publish', 'play', 'deleteStream', 'closeStream']);
      for (const c of asked.filter((c) => c.transactionId !== 0 && !byStatus.has(c.name))) {
        const rs = answered.filter((a) => a.name === '_result' && a.transactionId === c.transactionId);
        expect(rs, `${c.name} #${c.transactionId}`).toHaveLength(1);
      }
      const create = asked.find((c) => c.name === 'createStream')!;
      const streamId = answered.find((a) => a.transactionId === create.transactionId)!.args[0];
      expect(streamId).toBe(1);
      const publish = sent.find((m) => m.typeId === MessageType.COMMAND_AMF0 && decodeCommand(m).name === 'publish')!;
      expect(publish.messageStreamId).toBe(streamId);

      const statuses = replies.filter((m) => m.typeId === MessageType.COMMAND_AMF0 && decodeCommand(m).name === 'onStatus');
      expect(statuses.map((m) => [m.messageStreamId, info(decodeCommand(m))['code']])).toEqual([[1, 'NetStream.Publish.Start']]);
      const fcPublish = answered.filter((a) => a.name === 'onFCPublish').map((a) => info(a)['code']);
      expect(fcPublish).toEqual(['NetStream.Publish.Start']);
      const begin = replies.find((m) => m.typeId === MessageType.USER_CONTROL)!;
      expect(readUserControl(begin)).toEqual({ event: 0, value: 1 });
    });
  }

  it('matches nginx-rtmp\'s answer to OBS command for command', () => {
    const nginx = load('obs-29.0.2-publish.s2c.bin');
    const r = new ChunkReader();
    r.push(nginx.subarray(HANDSHAKE));
    const nginxReplies: RtmpMessage[] = [];
    for (let m = r.read(); m !== null; m = r.read()) nginxReplies.push(m);
    const transport = new FakeTransport();
    const session = new ServerSession(transport);
    session.receive(load('obs-29.0.2-publish.c2s.bin'));
    const ours = serverMessages(transport);
    // nginx-rtmp answers only connect, createStream and publish; each of its answers has ours with
    // the same name, transaction id and status code (we add onFCPublish and _result for releaseStream/FCPublish).
    for (const theirs of commands(nginxReplies)) {
      const match = commands(ours).find((c) => c.name === theirs.name && c.transactionId === theirs.transactionId && (theirs.name !== 'onStatus' || info(c)['code'] === info(theirs)['code']));
      expect(match, `${theirs.name} #${theirs.transactionId}`).toBeDefined();
    }
  });
});
