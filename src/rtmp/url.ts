import { RtmpError } from '../errors/index.js';
import { DEFAULT_RTMP_PORT } from './server-options.js';

export interface RtmpUrl {
  secure: boolean;
  host: string;
  port: number;
  /** Application: the first path segment (`live`), with the URL's query if any. */
  app: string;
  /** Stream name: the rest of the path with the query (`key?token=…`), or '' when absent. */
  streamName: string;
  /** The tcUrl to send in connect: scheme, host, port and app. */
  tcUrl: string;
}

/** Parses `rtmp[s]://host[:port]/app[/stream[?query]]` the way OBS and FFmpeg split it. */
export function parseRtmpUrl(url: string): RtmpUrl {
  const m = /^(rtmps?):\/\/(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?\/([^/?#]+)(?:\/([^?#]*))?(\?[^#]*)?$/i.exec(url);
  if (m === null) throw new RtmpError('ERR_RTMP_URL_INVALID', `not an rtmp:// URL with an app: ${url}`, { url });
  const secure = m[1]!.toLowerCase() === 'rtmps';
  const host = m[2]!.replace(/^\[|\]$/g, '');
  const port = m[3] === undefined ? (secure ? 443 : DEFAULT_RTMP_PORT) : Number(m[3]);
  if (port < 1 || port > 65535) throw new RtmpError('ERR_RTMP_URL_INVALID', `port ${port} out of range in ${url}`, { url });
  const query = m[6] ?? '';
  const stream = m[5] ?? '';
  const app = stream === '' ? m[4]! + query : m[4]!;
  return {
    secure,
    host,
    port,
    app,
    streamName: stream === '' ? '' : stream + query,
    tcUrl: `${m[1]!.toLowerCase()}://${m[2]!}${m[3] === undefined ? '' : `:${m[3]}`}/${app}`,
  };
}
