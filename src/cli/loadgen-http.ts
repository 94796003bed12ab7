import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';

/**
 * The load generator's HTTP client: node:http(s) over keep-alive agents of its own, with no limit
 * on sockets (each viewer has up to two requests in flight per rendition, as a browser's player has
 * on its own connections), destroyed at the end of a run so no socket outlives it.
 *
 * Not fetch: Node's global fetch (undici) keeps its pool process-wide, where a run cannot close it,
 * and opens connections for requests that were aborted while queued — idle sockets that never sent
 * a request, which a server's close() waits on (Node does not count them as idle). Not the undici
 * package: a dependency for what node:http does at these rates.
 */

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body when asked for (playlists); otherwise only counted. */
  readonly body: Buffer | undefined;
  readonly bytes: number;
}

export class HttpPool {
  readonly #http = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: Infinity });
  readonly #https = new https.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: Infinity });

  /** GET `url`; resolves once the last byte is in, rejects on a network error or when `signal` aborts. */
  get(url: string, signal: AbortSignal, keepBody: boolean): Promise<HttpAnswer> {
    const secure = url.startsWith('https:');
    return new Promise((resolve, reject) => {
      const request = (secure ? https : http).get(url, { agent: secure ? this.#https : this.#http, signal }, (response) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.byteLength;
          if (keepBody) chunks.push(chunk);
        });
        response.once('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: keepBody ? Buffer.concat(chunks) : undefined, bytes }));
        response.once('error', reject);
        response.once('aborted', () => reject(new Error('response aborted')));
      });
      request.once('error', reject);
    });
  }

  /** Closes every socket, idle or not. */
  destroy(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}
