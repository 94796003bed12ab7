import { buildAudioTagParts, buildVideoTagParts } from '../flv/index.js';
import type { HubItem, Reader, StreamRates } from '../hub/index.js';
import type { Sample, Track } from '../media/index.js';
import type { PlayerStream } from '../rtmp/index.js';
import { onMetaDataBody } from './player-metadata.js';
import { PlayerTimeline } from './player-timeline.js';

export interface RtmpPlayerFeedOptions {
  /**
   * The publisher's timestamps as they are (nginx-rtmp's `atc on`), e.g. for players that line up
   * several servers' streams. Default false: each player's timeline starts at 0 (PlayerTimeline).
   */
  absoluteTimestamps?: boolean;
  /** The stream's measured rates, for the onMetaData frame rate (when the SPS has none) and data rates. */
  rates?: () => StreamRates | undefined;
}

/** How far a new run looks ahead in one drained batch for each track's first sample. */
const START_LOOKAHEAD_ITEMS = 64;

/**
 * Feeds an RTMP player from a hub reader. Each run of tracks (the first, then each republish or
 * codec change) begins with onMetaData and the sequence headers, sent at the run's first
 * timestamp just before its first sample; then each sample as an FLV tag body, its header and its
 * payload apart so the payload is copied only into the chunks. The reader started on the stream's
 * GOP cache, so the first sample is a keyframe. Timestamps: PlayerTimeline.
 */
export function feedRtmpPlayer(reader: Reader, player: PlayerStream, options: RtmpPlayerFeedOptions = {}): void {
  const timeline = new PlayerTimeline(options.absoluteTimestamps ?? false);
  let tracks: readonly Track[] = [];
  let generation: number | undefined;
  let headersPending = false;

  const sendHeaders = (timestamp: number): void => {
    headersPending = false;
    player.writeData(timestamp, onMetaDataBody(tracks, options.rates?.()));
    for (const t of tracks) {
      if (t.kind === 'video' && (t.codec === 'avc' || t.codec === 'hevc')) {
        player.writeVideo(timestamp, buildVideoTagParts({ codec: t.codec, frameType: 'key', packetType: 'sequence-start', data: t.decoderConfig }), { essential: true });
      } else if (t.kind === 'audio' && t.codec === 'aac') {
        player.writeAudio(timestamp, buildAudioTagParts({ codec: 'aac', packetType: 'sequence-start', data: t.decoderConfig }), true);
      }
    }
  };

  const writeSample = (sample: Sample, items: readonly HubItem[], index: number): void => {
    const track = tracks.find((t) => t.id === sample.trackId);
    if (track === undefined) return;
    if (headersPending) sendHeaders(timeline.start(runStartMs(items, index, tracks)));
    const ms = timeline.map(track.id, toMs(sample.dts, track.timescale));
    if (track.kind === 'video' && (track.codec === 'avc' || track.codec === 'hevc')) {
      const compositionTimeMs = Math.round(((sample.pts - sample.dts) * 1000) / track.timescale);
      const body = buildVideoTagParts({ codec: track.codec, frameType: sample.keyframe ? 'key' : 'inter', packetType: 'coded-frames', compositionTimeMs, data: sample.data });
      player.writeVideo(ms, body, { keyframe: sample.keyframe });
    } else if (track.kind === 'audio' && track.codec === 'aac') {
      player.writeAudio(ms, buildAudioTagParts({ codec: 'aac', data: sample.data }));
    }
  };

  const write = (items: readonly HubItem[], index: number): void => {
    const item = items[index]!;
    if (item.type === 'tracks') {
      // A new generation is a new publisher and its own clock: a new run. The same generation
      // (new codec parameters mid-publish) keeps the clock, and only the headers are sent again.
      if (generation !== undefined && item.generation !== generation) timeline.restart();
      generation = item.generation;
      tracks = item.tracks;
      headersPending = true;
    } else if (item.type === 'end') {
      player.end();
      reader.close();
    } else {
      writeSample(item.sample, items, index);
    }
  };

  const drain = (): void => {
    if (!player.active) {
      reader.close();
      return;
    }
    const items = reader.drain();
    for (let i = 0; i < items.length; i++) write(items, i);
  };
  reader.onReadable(drain);
  drain();
}

function toMs(ticks: number, timescale: number): number {
  return Math.round((ticks * 1000) / timescale);
}

/**
 * The earliest timestamp among the first sample of each track from `index` on, within this batch
 * and this run: the GOP cache arrives in one batch, where audio stamped just before the keyframe
 * may follow it.
 */
function runStartMs(items: readonly HubItem[], index: number, tracks: readonly Track[]): number {
  const seen = new Set<number>();
  let earliest = Number.POSITIVE_INFINITY;
  const end = Math.min(items.length, index + START_LOOKAHEAD_ITEMS);
  for (let i = index; i < end && seen.size < tracks.length; i++) {
    const item = items[i]!;
    if (item.type !== 'sample') break;
    const track = tracks.find((t) => t.id === item.sample.trackId);
    if (track === undefined || seen.has(track.id)) continue;
    seen.add(track.id);
    earliest = Math.min(earliest, toMs(item.sample.dts, track.timescale));
  }
  return earliest;
}
