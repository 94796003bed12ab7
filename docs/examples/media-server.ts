// An embedded media server: RTMP in, HLS out, with a log line per segment.
// `npx tsx docs/examples/media-server.ts`, then publish to rtmp://127.0.0.1:1935/live/<key>
// and play http://127.0.0.1:8080/live/<key>/index.m3u8 (or open http://127.0.0.1:8080/).
import { createMediaServer } from 'tidecast';

const server = createMediaServer({
  rtmp: { port: Number(process.env.RTMP_PORT ?? 1935), host: '127.0.0.1' },
  http: { port: Number(process.env.HTTP_PORT ?? 8080), host: '127.0.0.1' },
  hls: { segmentTargetSeconds: 2, windowSegments: 6 },
});

server.on('publish', ({ app, streamKey }) => console.log(`publish ${app}/${streamKey}`));
server.on('segment', ({ app, streamKey }, s) => console.log(`segment ${app}/${streamKey} ${s.track} #${s.msn} ${s.durationSeconds.toFixed(3)} s ${s.byteLength} B`));
server.on('unpublish', ({ app, streamKey }) => console.log(`unpublish ${app}/${streamKey}`));

const { rtmp, http } = await server.listen();
console.log(`rtmp://127.0.0.1:${rtmp.port}/live  http://127.0.0.1:${http.port}/`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
