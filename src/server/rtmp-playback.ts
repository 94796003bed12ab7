import type { Hub } from '../hub/index.js';
import type { PlayerStream, RtmpServer } from '../rtmp/index.js';
import { feedRtmpPlayer } from './rtmp-player-feed.js';

export interface RtmpPlaybackOptions {
  now: () => number;
  /** Players get the publisher's timestamps instead of their own timeline from 0 (nginx-rtmp's `atc`). */
  absoluteTimestamps: boolean;
}

/**
 * The RTMP playback adapter: a play request for a stream that is live here is accepted (anything
 * else is refused with StreamNotFound), and an accepted player is fed from a hub reader that
 * starts at the stream's last keyframe (the GOP cache), so its picture starts at once. It counts,
 * per stream, the frames its players skipped because they fell behind.
 */
export class RtmpPlayback {
  /** Per `<app>/<key>`: its players now, and the frames skipped by those that have gone. */
  readonly #streams = new Map<string, { players: Set<PlayerStream>; goneDropped: number }>();

  constructor(rtmp: RtmpServer, hub: Hub, options: RtmpPlaybackOptions) {
    rtmp.on('play', (request) => {
      if (hub.stream(request.app, request.streamKey)?.state !== 'live') request.reject(`${request.app}/${request.streamKey} is not live`);
    });
    rtmp.on('playing', (player, request) => {
      const stream = hub.stream(request.app, request.streamKey);
      if (stream === undefined) return;
      const name = `${request.app}/${request.streamKey}`;
      let entry = this.#streams.get(name);
      if (entry === undefined) this.#streams.set(name, (entry = { players: new Set(), goneDropped: 0 }));
      entry.players.add(player);
      feedRtmpPlayer(stream.subscribe({ startWith: 'gop' }), player, { absoluteTimestamps: options.absoluteTimestamps, rates: () => stream.rates(options.now()) });
    });
  }

  /** Frames RTMP players of a stream skipped because they fell behind (their outgoing buffer was full). */
  droppedFrames(app: string, streamKey: string): number {
    const entry = this.#streams.get(`${app}/${streamKey}`);
    if (entry === undefined) return 0;
    let dropped = entry.goneDropped;
    for (const player of entry.players) {
      dropped += player.dropped;
      // A player that has ended keeps its count here, not its object.
      if (!player.active) {
        entry.goneDropped += player.dropped;
        entry.players.delete(player);
      }
    }
    return dropped;
  }

  /** RTMP players of a stream now. */
  players(app: string, streamKey: string): number {
    let active = 0;
    for (const player of this.#streams.get(`${app}/${streamKey}`)?.players ?? []) if (player.active) active += 1;
    return active;
  }

  /** Forgets a stream's figures (its stream was forgotten). */
  forget(app: string, streamKey: string): void {
    this.#streams.delete(`${app}/${streamKey}`);
  }
}
