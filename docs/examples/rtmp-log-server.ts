// A server that logs each publish and each frame: `npx tsx docs/examples/rtmp-log-server.ts`,
// then `ffmpeg -re -i input.flv -c copy -f flv rtmp://127.0.0.1:1935/live/mykey`.
import { RtmpServer } from 'tidecast/rtmp';

const server = new RtmpServer({ port: Number(process.env.PORT ?? 1935), host: '127.0.0.1' });

server.on('publish', (request) => {
  // Refuse what you do not want; `request.waitFor(promise)` makes the decision asynchronous.
  if (request.streamKey.startsWith('forbidden')) return request.reject('this key is not allowed');
  console.log(`publish app=${request.app} key=${request.streamKey} query=${request.query}`);
});

server.on('session', (session) => {
  session.on('video', (m, stream) => {
    const keyframe = m.payload[0]! >> 4 === 1;
    console.log(`video ${stream.streamKey} t=${m.timestamp}ms ${m.payload.length} B${keyframe ? ' keyframe' : ''}`);
  });
  session.on('audio', (m, stream) => console.log(`audio ${stream.streamKey} t=${m.timestamp}ms ${m.payload.length} B`));
  session.on('data', (m, stream) => console.log(`data ${stream.streamKey} ${m.payload.length} B`));
});

server.on('unpublish', (_session, stream) => console.log(`unpublish ${stream.streamKey}`));
server.on('sessionError', (session, err) => console.log(`session ${session.id} closed: ${err.code} ${err.message}`));

const { port } = await server.listen();
console.log(`listening on rtmp://127.0.0.1:${port}/live`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
