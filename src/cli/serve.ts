import { parseArgs } from 'node:util';
import { configLayerFromEnv, configLayerFromStrings, loadConfigFile, resolveServerConfig, type ServerConfig, type ServerConfigLayer } from '../config/index.js';
import { createMediaServer, type MediaServerOptions } from '../server/index.js';
import { createLogger, logServerEvents, publicHost, settingsBlock } from './serve-output.js';

export const HELP = `tidecast — live-streaming media server

Usage: tidecast [serve] [options]
       tidecast package <input.flv> <outdir> [--segment-duration 2]

serve (the default) ingests RTMP (OBS, FFmpeg, GStreamer, librtmp), packages each stream as live
HLS and serves the playlists, segments and a player page over HTTP.

  --rtmp-port <n>          RTMP port (default 1935, env TIDECAST_RTMP_PORT)
  --http-port <n>          HTTP port (default 8080, env TIDECAST_HTTP_PORT)
  --host <addr>            address both bind (default 0.0.0.0, env TIDECAST_HOST)
  --segment-duration <s>   live segment target in seconds (default 2, env TIDECAST_SEGMENT_DURATION)
  --window-segments <n>    segments in a live playlist (default 6)
  --end-grace-ms <ms>      wait before a stream's playlists end after its publisher left (default 10000)
  --config <file>          JSON or YAML file with the keys rtmpPort, httpPort, host,
                           segmentDuration, windowSegments, endGraceMs
  -h, --help               this text

Precedence: option > environment variable > config file > default.
Log level: env TIDECAST_LOG_LEVEL (default info; debug logs every segment).

package writes an HLS VOD (CMAF segments and playlists) from an FLV file.`;

/**
 * A bound on the graceful shutdown: closing waits for sessions and HTTP connections; a client that
 * never lets go must not keep the process alive after SIGTERM (systemd and Docker send SIGKILL at 10 s).
 */
export const SHUTDOWN_TIMEOUT_MS = 8_000;

/** Flags → settings, with the environment and the config file beneath them. */
export async function serveConfig(args: string[], env: Readonly<Record<string, string | undefined>>): Promise<{ config: ServerConfig; help: boolean }> {
  const { values } = parseArgs({
    args,
    options: {
      'rtmp-port': { type: 'string' },
      'http-port': { type: 'string' },
      host: { type: 'string' },
      'segment-duration': { type: 'string' },
      'window-segments': { type: 'string' },
      'end-grace-ms': { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const flags = configLayerFromStrings(
    {
      rtmpPort: values['rtmp-port'],
      httpPort: values['http-port'],
      host: values.host,
      segmentDuration: values['segment-duration'],
      windowSegments: values['window-segments'],
      endGraceMs: values['end-grace-ms'],
    },
    'flag',
  );
  const file: ServerConfigLayer = values.config === undefined ? {} : await loadConfigFile(values.config);
  return { config: resolveServerConfig({ flags, env: configLayerFromEnv(env), file }), help: values.help === true };
}

export function mediaServerOptions(config: ServerConfig): MediaServerOptions {
  return {
    rtmp: { port: config.rtmpPort, host: config.host },
    http: { port: config.httpPort, host: config.host },
    hls: { segmentTargetSeconds: config.segmentDuration, windowSegments: config.windowSegments },
    endGraceMs: config.endGraceMs,
  };
}

export async function serve(args: string[]): Promise<void> {
  const { config, help } = await serveConfig(args, process.env);
  if (help) {
    console.log(HELP);
    return;
  }
  const log = createLogger(process.env, process.stdout.isTTY === true);
  const server = createMediaServer(mediaServerOptions(config));
  logServerEvents(server, log);
  const { rtmp, http } = await server.listen();
  process.stdout.write(settingsBlock({ host: config.host, rtmpPort: rtmp.port, httpPort: http.port }, publicHost(config.host)) + '\n');
  log.info({ rtmpPort: rtmp.port, httpPort: http.port, host: config.host, segmentDuration: config.segmentDuration }, 'listening');

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    server.close().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
