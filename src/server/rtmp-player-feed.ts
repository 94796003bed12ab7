import { buildAudioTag, buildVideoTag } from '../flv/index.js';
import type { HubItem, Reader } from '../hub/index.js';
import type { Track } from '../media/index.js';
import type { PlayerStream } from '../rtmp/index.js';

/**
 * Feeds an RTMP player from a hub reader: on a 'tracks' item the sequence headers (essential, so
 * the player can decode), then each sample as an FLV tag body with its millisecond timestamps.
 * The reader started on the stream's GOP cache, so the first frame is a keyframe.
 */
export function feedRtmpPlayer(reader: Reader, player: PlayerStream): void {
  let tracks: readonly Track[] = [];
  const write = (item: HubItem): void => {
    if (item.type === 'tracks') {
      tracks = item.tracks;
      for (const t of tracks) {
        if (t.kind === 'video' && (t.codec === 'avc' || t.codec === 'hevc')) {
          player.writeVideo(0, buildVideoTag({ codec: t.codec, frameType: 'key', packetType: 'sequence-start', data: t.decoderConfig }), { essential: true });
        } else if (t.kind === 'audio' && t.codec === 'aac') {
          player.writeAudio(0, buildAudioTag({ codec: 'aac', packetType: 'sequence-start', data: t.decoderConfig }), true);
        }
      }
      return;
    }
    if (item.type === 'end') {
      player.end();
      reader.close();
      return;
    }
    const { sample } = item;
    const track = tracks.find((t) => t.id === sample.trackId);
    if (track === undefined) return;
    const ms = Math.round((sample.dts * 1000) / track.timescale);
    if (track.kind === 'video' && (track.codec === 'avc' || track.codec === 'hevc')) {
      const compositionTimeMs = Math.round(((sample.pts - sample.dts) * 1000) / track.timescale);
      const body = buildVideoTag({ codec: track.codec, frameType: sample.keyframe ? 'key' : 'inter', packetType: 'coded-frames', compositionTimeMs, data: sample.data });
      player.writeVideo(ms, body, { keyframe: sample.keyframe });
    } else if (track.kind === 'audio' && track.codec === 'aac') {
      player.writeAudio(ms, buildAudioTag({ codec: 'aac', data: sample.data }));
    }
  };
  const drain = (): void => {
    if (!player.active) {
      reader.close();
      return;
    }
    for (const item of reader.drain()) write(item);
  };
  reader.onReadable(drain);
  drain();
}
