import type { Hub } from '../hub/index.js';
import type { RtmpServer } from '../rtmp/index.js';
import { feedRtmpPlayer } from './rtmp-player-feed.js';

export interface RtmpPlaybackOptions {
  now: () => number;
  /** Players get the publisher's timestamps instead of their own timeline from 0 (nginx-rtmp's `atc`). */
  absoluteTimestamps: boolean;
}

/**
 * The RTMP playback adapter: a play request for a stream that is live here is accepted (anything
 * else is refused with StreamNotFound), and an accepted player is fed from a hub reader that
 * starts at the stream's last keyframe (the GOP cache), so its picture starts at once.
 */
export function serveRtmpPlayback(rtmp: RtmpServer, hub: Hub, options: RtmpPlaybackOptions): void {
  rtmp.on('play', (request) => {
    if (hub.stream(request.app, request.streamKey)?.state !== 'live') request.reject(`${request.app}/${request.streamKey} is not live`);
  });
  rtmp.on('playing', (player, request) => {
    const stream = hub.stream(request.app, request.streamKey);
    if (stream === undefined) return;
    feedRtmpPlayer(stream.subscribe({ startWith: 'gop' }), player, { absoluteTimestamps: options.absoluteTimestamps, rates: () => stream.rates(options.now()) });
  });
}
