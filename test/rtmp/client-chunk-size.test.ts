import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtmpClient, RtmpServer, type ServerSession } from '../../src/rtmp/index.js';

let server: RtmpServer;
let port = 0;

beforeAll(async () => {
  server = new RtmpServer({ port: 0, host: '127.0.0.1' });
  port = (await server.listen()).port;
});

afterAll(async () => {
  await server.close();
});

/** The server session of the next connection, once its publisher's first video frame arrived. */
async function publishOneFrame(options: { outgoingChunkSize?: number }, body: Uint8Array): Promise<{ session: ServerSession; payload: Uint8Array }> {
  const arrived = new Promise<{ session: ServerSession; payload: Uint8Array }>((resolve) => {
    server.once('session', (session) => session.once('video', (m) => resolve({ session, payload: new Uint8Array(m.payload) })));
  });
  const client = await RtmpClient.connect(`rtmp://127.0.0.1:${port}/live`, options);
  const stream = await client.publish('chunks');
  stream.writeVideo(0, body);
  const result = await arrived;
  await client.close();
  return result;
}

describe('RtmpClient chunk size', () => {
  // A keyframe-sized body: several chunks of any size here.
  const body = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7) & 0xff);

  it('announces 4096-byte chunks after the handshake, as OBS and FFmpeg do, and the server reads the frame whole', async () => {
    const { session, payload } = await publishOneFrame({}, body);
    expect(session.peerChunkSize).toBe(4096);
    expect(payload).toEqual(body);
  });

  it('announces the outgoingChunkSize it is given', async () => {
    const { session, payload } = await publishOneFrame({ outgoingChunkSize: 60_000 }, body);
    expect(session.peerChunkSize).toBe(60_000);
    expect(payload).toEqual(body);
  });
});
