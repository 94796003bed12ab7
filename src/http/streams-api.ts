import type { Hub, LiveStream } from '../hub/index.js';

/** One live stream as `GET /api/streams` describes it (docs/http.md). */
export interface StreamSummary {
  app: string;
  streamKey: string;
  video: { codec: string; width: number; height: number; frameRate: number | undefined } | undefined;
  audio: { codec: string; sampleRate: number; channels: number } | undefined;
  /** Payload bit rate over the hub's bit rate window, in kb/s. */
  bitrateKbps: number;
  uptimeSeconds: number;
  /** Playback URL path of the multivariant playlist. */
  playlist: string;
  /** What was lost or bent on the way, since the key was first published (when the server counts it). */
  counters?: StreamCounters;
  /**
   * The stream's ABR ladder, when it has one (transcode/ LadderStats): its state, each rung with
   * size and frame rate, the rungs left out and why, ffmpeg's restarts and the last error.
   */
  ladder?: object;
  /** DASH beside the HLS playlists (docs/dash.md): the MPDs' URL paths, and why the low-latency one is answered as the regular one, if it is. */
  dash: { mpd: string; lowLatencyMpd: string; notLowLatency?: string };
}

/** Per stream, since its key was first published: each a count that should stay 0 (docs/http.md). */
export interface StreamCounters {
  /** Samples the hub's readers (the HLS packager's, RTMP players') dropped to the next keyframe: they fell behind. */
  readerDroppedSamples: number;
  /** Frames RTMP players were not sent because their connection could not keep up. */
  rtmpPlayerDroppedFrames: number;
  /** LL-HLS parts outside RFC 8216bis 4.4.4.9's bounds: the encoder's timestamps did not fit the part target. */
  partsOffTarget: number;
  /** Publisher frames before their track's sequence header (nothing can decode them). */
  tagsBeforeConfig: number;
  /** Publisher tags of a codec tidecast does not carry (MP3, Opus, VP9, AV1 for now). */
  tagsUnsupported: number;
  /** LL-HLS blocking or hinted-part requests answered 503 after three target durations. */
  parkedExpired: number;
  /** LL-HLS requests answered 503 at once because the server's parking was full. */
  parkedRefused: number;
}

/** The live streams, as of `nowMs`, with each one's counters when `counters` is given and its ladder when `ladder` has one. */
export function summarizeStreams(
  hub: Hub,
  nowMs: number,
  counters?: (stream: LiveStream) => StreamCounters,
  ladder?: (stream: LiveStream) => object | undefined,
  dash?: { notLowLatency(group: string): string | undefined },
): StreamSummary[] {
  return hub
    .streams()
    .filter((s) => s.state === 'live')
    .map((s) => {
      const stats = ladder?.(s);
      const summary = summarize(s, nowMs);
      const notLowLatency = dash?.notLowLatency(`${s.app}/${s.streamKey}`);
      if (notLowLatency !== undefined) summary.dash.notLowLatency = notLowLatency;
      return { ...summary, ...(counters === undefined ? {} : { counters: counters(s) }), ...(stats === undefined ? {} : { ladder: stats }) };
    });
}

function summarize(s: LiveStream, nowMs: number): StreamSummary {
  const video = s.tracks.find((t) => t.kind === 'video');
  const audio = s.tracks.find((t) => t.kind === 'audio');
  const rates = s.rates(nowMs);
  return {
    app: s.app,
    streamKey: s.streamKey,
    video: video?.kind === 'video' ? { codec: video.codecString, width: video.width, height: video.height, frameRate: video.frameRate ?? rates.frameRate } : undefined,
    audio: audio?.kind === 'audio' ? { codec: audio.codecString, sampleRate: audio.sampleRate, channels: audio.channels } : undefined,
    bitrateKbps: Math.round(rates.bitrateBps / 1000),
    uptimeSeconds: Math.max(0, (nowMs - s.startedAtMs) / 1000),
    playlist: `/${s.app}/${s.streamKey}/index.m3u8`,
    dash: { mpd: `/${s.app}/${s.streamKey}/manifest.mpd`, lowLatencyMpd: `/${s.app}/${s.streamKey}/manifest-ll.mpd` },
  };
}
