/**
 * The viewer side of the live benches: a plain HLS client that reloads a media playlist every
 * POLL_MS and fetches, in order, its EXT-X-MAP once and each media segment it has not fetched yet
 * (RFC 8216bis 6.3.4 reloads at least every target duration; half a second keeps a viewer close
 * to the live edge of 2 s segments). Bodies are read whole and dropped.
 *
 * Before the first segment is listed a playlist answers 404 on both servers; that is waiting, not
 * an error. A listed segment that does not answer 200 is an error.
 */

/** Playlist reload interval, milliseconds. */
export const POLL_MS = 500;

export interface ReaderCounts {
  /** Files read whole with a 200: init segments and media segments. */
  files: number;
  bytes: number;
  errors: number;
}

export class HlsReader {
  readonly counts: ReaderCounts = { files: 0, bytes: 0, errors: 0 };
  private readonly fetched = new Set<string>();
  private stopped = false;
  private readonly loop: Promise<void>;

  /**
   * Starts reading `playlistUrls` (one loop per media playlist: video and audio of tidecast, one of
   * nginx), the first reload after `phaseMs` (0 to POLL_MS): independent viewers do not reload in
   * step, and a bench whose readers all did would measure their reloads landing together.
   */
  constructor(playlistUrls: readonly string[], phaseMs = 0) {
    this.loop = new Promise((r) => setTimeout(r, phaseMs)).then(() => Promise.all(playlistUrls.map((url) => this.follow(url)))).then(() => undefined);
  }

  async stop(): Promise<ReaderCounts> {
    this.stopped = true;
    await this.loop;
    return this.counts;
  }

  private async follow(playlistUrl: string): Promise<void> {
    while (!this.stopped) {
      const started = Date.now();
      try {
        const answer = await fetch(playlistUrl);
        const text = await answer.text();
        if (answer.ok) for (const uri of mediaUris(text)) await this.fetchOnce(new URL(uri, playlistUrl).href);
      } catch {
        this.counts.errors++;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, POLL_MS - (Date.now() - started))));
    }
  }

  private async fetchOnce(url: string): Promise<void> {
    if (this.fetched.has(url) || this.stopped) return;
    this.fetched.add(url);
    const answer = await fetch(url);
    const body = await answer.arrayBuffer();
    if (!answer.ok) {
      this.counts.errors++;
      return;
    }
    this.counts.files++;
    this.counts.bytes += body.byteLength;
  }
}

/** The EXT-X-MAP URI (if any), then every segment URI, in playlist order. */
export function mediaUris(playlist: string): string[] {
  const uris: string[] = [];
  for (const line of playlist.split('\n')) {
    const text = line.trim();
    if (text.startsWith('#EXT-X-MAP:')) {
      const uri = /URI="([^"]+)"/.exec(text)?.[1];
      if (uri !== undefined) uris.push(uri);
    } else if (text !== '' && !text.startsWith('#')) uris.push(text);
  }
  return uris;
}
