import { afterEach, describe, expect, it } from 'vitest';
import { encodeAmf0 } from '../../src/amf/index.js';
import { RtmpClient, decodeData, type RtmpMessage } from '../../src/rtmp/index.js';
import {
  Relay,
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
 * RtmpClient against RtmpServer, both ends ours: one client publishes the fixture, another plays
 * it through the relay, and the player must see every tag, in order, with identical bytes and
 * timestamps. The player joins before the publish, so nothing is held back for a keyframe.
 */

const tags = loadFixtureTags();
/** `@setDataFrame` as encoders prefix metadata; the relay strips it (stripSetDataFrame). */
const SET_DATA_FRAME = encodeAmf0('@setDataFrame');

interface Roundtrip {
  sent: MessageRecord[];
  received: MessageRecord[];
  serverComplex: [publisher: boolean, player: boolean];
  dropped: number;
}

async function roundtrip(ts: TestServer, complexHandshake: boolean, pace: (i: number) => Promise<void>): Promise<Roundtrip> {
  const player = await RtmpClient.connect(ts.url('live'), { complexHandshake });
  const publisher = await RtmpClient.connect(ts.url('live'), { complexHandshake });
  try {
    const received: MessageRecord[] = [];
    const onMedia = (m: RtmpMessage): void => {
      received.push(record(m));
    };
    player.on('audio', onMedia);
    player.on('video', onMedia);
    // The server's own data messages on play (|RtmpSampleAccess, onStatus Data.Start) are not the stream's.
    player.on('data', (m) => {
      if (decodeData(m)[0] === 'onMetaData') onMedia(m);
    });
    const eof = new Promise<void>((resolve) => player.once('streamEof', () => resolve()));
    const playing = serverEvent(ts.server, 'playing');
    await player.play('rt');
    const [playerStream] = await playing;

    const stream = await publisher.publish('rt');
    const sent: MessageRecord[] = [];
    for (let i = 0; i < tags.length; i++) {
      const tag = tags[i]!;
      if (tag.type === 18) {
        stream.writeDataPayload(tag.timestamp, Buffer.concat([SET_DATA_FRAME, tag.body]));
        sent.push(record({ typeId: 18, timestamp: tag.timestamp, payload: tag.body }));
      } else {
        sent.push(writeTag(stream, tag));
      }
      await pace(i);
    }
    stream.unpublish();
    await withTimeout(eof, 10_000, 'Stream EOF on the player after unpublish');
    return {
      sent,
      received,
      serverComplex: [publisher.session.serverComplex, player.session.serverComplex],
      dropped: playerStream.dropped,
    };
  } finally {
    await Promise.all([publisher.close(), player.close()]);
  }
}

describe('RtmpClient publishes, RtmpClient plays, through the relay', () => {
  let ts: TestServer | undefined;
  afterEach(async () => {
    await ts?.close();
    ts = undefined;
  });

  for (const complex of [false, true]) {
    const handshake = complex ? 'complex' : 'plain';

    it(`delivers every message intact, written as fast as possible (${handshake} handshake)`, async () => {
      ts = await startServer();
      new Relay(ts.server);
      const errors: string[] = [];
      ts.server.on('sessionError', (_s, e) => errors.push(e.code));
      const r = await roundtrip(ts, complex, async () => undefined);
      expect(r.serverComplex).toEqual([complex, complex]);
      expect(r.received).toHaveLength(tags.length);
      expect(r.received).toEqual(r.sent);
      expect(r.dropped).toBe(0);
      expect(errors).toEqual([]);
    });
  }

  it('delivers every message intact when paced (a tag every 2 ms, interleaved with the reads)', async () => {
    ts = await startServer();
    new Relay(ts.server);
    const r = await roundtrip(ts, false, async (i) => {
      if (i % 8 === 0) await delay(2);
    });
    expect(r.received).toEqual(r.sent);
    expect(r.dropped).toBe(0);
  });
});
