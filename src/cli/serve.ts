import { networkInterfaces } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors/index.js';
import { RtmpServer } from '../rtmp/index.js';

export const HELP = `tidecast — live-streaming media server

Usage: tidecast [serve] [--rtmp-port 1935] [--host 0.0.0.0]
       tidecast package <input.flv> <outdir> [--segment-duration 2]

  --rtmp-port <n>   RTMP port (default 1935, env TIDECAST_RTMP_PORT)
  --host <addr>     address to bind (default 0.0.0.0, env TIDECAST_HOST)
  -h, --help        this text

serve (the default) ingests RTMP (OBS, FFmpeg, GStreamer, librtmp) and logs each stream;
HLS delivery over HTTP comes with the live server. package writes an HLS VOD
(CMAF segments and playlists) from an FLV file.`;

export function port(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError('ERR_CONFIG_INVALID', `option ${name} must be a port number from 0 to 65535, got ${raw}`, { option: name, value: raw });
  }
  return n;
}

/** The address OBS on another machine should use: the first non-internal IPv4 one, else localhost. */
function publicHost(bound: string): string {
  if (bound !== '0.0.0.0' && bound !== '::') return bound;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { 'rtmp-port': { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const rtmpPort = port('--rtmp-port', values['rtmp-port'] ?? process.env['TIDECAST_RTMP_PORT'] ?? '1935');
  const host = values.host ?? process.env['TIDECAST_HOST'] ?? '0.0.0.0';
  const server = new RtmpServer({ port: rtmpPort, host });
  server.on('publish', (r) => console.log(`publish   ${r.app}/${r.streamKey} from ${r.session.remoteAddress}`));
  server.on('unpublish', (s, stream) => console.log(`unpublish ${stream.app}/${stream.streamKey} (session ${s.id})`));
  server.on('sessionError', (s, err) => console.log(`session ${s.id} closed: ${err.code} ${err.message}`));
  const address = await server.listen();
  console.log(`tidecast RTMP ingest listening on ${host}:${address.port}

OBS settings (Settings → Stream → Service: Custom…):
  Server:     rtmp://${publicHost(host)}:${address.port}/live
  Stream Key: any name, e.g. mystream

Test without OBS:
  ffmpeg -re -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine -c:v libx264 -g 60 -c:a aac -f flv rtmp://127.0.0.1:${address.port}/live/mystream`);
  const stop = (): void => {
    console.log('shutting down');
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
