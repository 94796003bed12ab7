import { afterEach, describe, expect, it } from 'vitest';
import { RtmpClient } from '../../src/rtmp/index.js';
import { createMediaServer, type MediaServer } from '../../src/server/index.js';
import { nextPublish } from '../helpers/live.js';
import { fixtureTags } from '../helpers/recording.js';

/*
 * A playlist asked the moment before it exists (LiveDelivery.expect, issue 14): once a publish is
 * admitted — a new stream, or one taken over from another origin of a cluster — a request for one
 * of its playlists waits for that playlist (each rendition's comes with its own first snapshot)
 * instead of a 404; a stream nobody publishes still gets
 * its 404 at once.
 */

const opened: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close().catch(() => undefined);
});

async function start(): Promise<{ server: MediaServer; rtmpPort: number; httpUrl: string }> {
  const server = createMediaServer({ rtmp: { port: 0, host: '127.0.0.1' }, http: { port: 0, host: '127.0.0.1' } });
  const { rtmp, http } = await server.listen();
  opened.push(() => server.close());
  return { server, rtmpPort: rtmp.port, httpUrl: `http://127.0.0.1:${http.port}` };
}

describe('a starting stream’s playlists', () => {
  it('a request made after the publish and before the first playlist waits for it, and gets it', async () => {
    const { server, rtmpPort, httpUrl } = await start();
    const client = await RtmpClient.connect(`rtmp://127.0.0.1:${rtmpPort}/live`);
    opened.push(() => client.close());
    const admitted = nextPublish(server, 'cam');
    const stream = await client.publish('cam');
    await admitted;
    const asked = Date.now();
    const media = fetch(`${httpUrl}/live/cam/video/index.m3u8`);
    const multivariant = fetch(`${httpUrl}/live/cam/index.m3u8`);
    // Each rendition's first playlist comes with its own first snapshot (audio after video): a
    // request for the audio one waits for that one, not only for the stream's first.
    const audio = fetch(`${httpUrl}/live/cam/audio/index.m3u8`);
    // The encoder's first media comes 300 ms later.
    await new Promise((r) => setTimeout(r, 300));
    for (const t of fixtureTags()) {
      if (t.type === 8) stream.writeAudio(t.timestamp, t.body);
      else if (t.type === 9) stream.writeVideo(t.timestamp, t.body);
    }
    const [m, v, a] = await Promise.all([media, multivariant, audio]);
    expect(a.status).toBe(200);
    expect(await a.text()).toContain('#EXT-X-TARGETDURATION');
    expect(Date.now() - asked).toBeGreaterThanOrEqual(250);
    expect(m.status).toBe(200);
    expect(await m.text()).toContain('#EXT-X-TARGETDURATION');
    expect(v.status).toBe(200);
    expect(await v.text()).toContain('#EXT-X-STREAM-INF');
  });

  it('a stream nobody publishes is a 404 at once', async () => {
    const { httpUrl } = await start();
    const asked = Date.now();
    expect((await fetch(`${httpUrl}/live/nobody/video/index.m3u8`)).status).toBe(404);
    expect(Date.now() - asked).toBeLessThan(1000);
  });
});
