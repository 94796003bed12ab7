import { describe, expect, it } from 'vitest';
import type { AmfObject } from '../../../src/amf/index.js';
import { ChunkReader, ChunkWriter } from '../../../src/rtmp/chunk/index.js';
import { abortMessage, commandMessage, decodeCommand, MessageType, setChunkSizeMessage, type RtmpMessage } from '../../../src/rtmp/message/index.js';
import type { FakeTransport } from './fake-transport.js';
import { sessionPair } from './pair.js';

/*
 * Set Chunk Size and Abort change how the next chunks are framed (RTMP 5.4.1, 5.4.2). 5.4 puts them
 * on chunk stream 2 and message stream 0, but a peer that sends them elsewhere frames its next
 * chunks by them all the same: a server session applies them wherever they arrive. The peer's bytes
 * here are written by a ChunkWriter of the test's own, on chunk streams the client session does not
 * use, straight into the server session.
 */

async function connected() {
  const pair = sessionPair();
  const result = pair.client.call('connect', { app: 'live', tcUrl: 'rtmp://h/live', objectEncoding: 0 });
  pair.pump();
  expect(((await result).args[0] as AmfObject)['code']).toBe('NetConnection.Connect.Success');
  const errors: string[] = [];
  pair.server.on('error', (e) => errors.push(e.code));
  return { ...pair, errors };
}

/** Transaction ids of the server's `_result` answers, decoded from everything it wrote after the handshake. */
function answeredTransactions(t: FakeTransport): number[] {
  const reader = new ChunkReader();
  reader.push(t.bytes().subarray(3073));
  const ids: number[] = [];
  for (let m: RtmpMessage | null = reader.read(); m !== null; m = reader.read()) {
    if (m.typeId === MessageType.COMMAND_AMF0 && decodeCommand(m).name === '_result') ids.push(decodeCommand(m).transactionId);
  }
  return ids;
}

/** createStream, padded past the initial chunk size of 128 when `padded`, so it takes two chunks. */
const createStream = (transactionId: number, chunkStreamId: number, padded = false): RtmpMessage =>
  commandMessage({ name: 'createStream', transactionId, commandObject: null, args: padded ? ['x'.repeat(200)] : [] }, 0, chunkStreamId);

/** A type 0 header on a 1-byte basic header: 12 bytes, then the first 128-byte chunk body. */
const FIRST_CHUNK_BYTES = 12 + 128;

describe('Set Chunk Size and Abort on any chunk stream (server session)', () => {
  it('Set Chunk Size on chunk stream 9, message stream 1: the next command arrives in chunks of that size and is answered', async () => {
    const pair = await connected();
    const peer = new ChunkWriter();
    pair.server.receive(peer.encode({ ...setChunkSizeMessage(16), chunkStreamId: 9, messageStreamId: 1 }));
    expect(pair.server.peerChunkSize).toBe(16);
    peer.setChunkSize(16);
    const command = peer.encode(createStream(100, 10));
    expect(command.length).toBeGreaterThan(2 * 16);
    pair.server.receive(command);
    expect(answeredTransactions(pair.st)).toContain(100);
    expect(pair.errors).toEqual([]);
    expect(pair.server.closed).toBe(false);
  });

  it('Abort on chunk stream 11: the half-received command on chunk stream 10 is dropped, the next one starts afresh', async () => {
    const pair = await connected();
    const partial = new ChunkWriter().encode(createStream(200, 10, true));
    // Its first chunk only: the message is incomplete.
    pair.server.receive(partial.subarray(0, FIRST_CHUNK_BYTES));
    pair.server.receive(new ChunkWriter().encode({ ...abortMessage(10), chunkStreamId: 11 }));
    pair.server.receive(new ChunkWriter().encode(createStream(201, 10)));
    expect(answeredTransactions(pair.st)).toEqual(expect.arrayContaining([201]));
    expect(answeredTransactions(pair.st)).not.toContain(200);
    expect(pair.errors).toEqual([]);
  });

  it('without the Abort, a new message header on a half-received chunk stream closes the session', async () => {
    const pair = await connected();
    const partial = new ChunkWriter().encode(createStream(300, 10, true));
    pair.server.receive(partial.subarray(0, FIRST_CHUNK_BYTES));
    pair.server.receive(new ChunkWriter().encode(createStream(301, 10)));
    expect(pair.errors).toEqual(['ERR_RTMP_MESSAGE_MALFORMED']);
    expect(pair.server.closed).toBe(true);
  });

  it('a Set Chunk Size above maxChunkSize on another chunk stream closes the session as on chunk stream 2', async () => {
    const pair = await connected();
    pair.server.receive(new ChunkWriter().encode({ ...setChunkSizeMessage(0x1000000), chunkStreamId: 12 }));
    expect(pair.errors).toEqual(['ERR_RTMP_CHUNK_SIZE_INVALID']);
  });
});
