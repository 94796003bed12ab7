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
}

/** The live streams, as of `nowMs`. */
export function summarizeStreams(hub: Hub, nowMs: number): StreamSummary[] {
  return hub
    .streams()
    .filter((s) => s.state === 'live')
    .map((s) => summarize(s, nowMs));
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
  };
}
