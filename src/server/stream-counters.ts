import type { StreamCounters } from '../http/index.js';
import type { LiveStream } from '../hub/index.js';

/** Where each of a stream's counters is kept: the adapters that see the loss count it. */
export interface StreamCounterSources {
  /** The stream's HLS packager counters, if it has one. */
  partsOffTarget(stream: LiveStream): number;
  rtmpPlayerDroppedFrames(app: string, streamKey: string): number;
  tags(app: string, streamKey: string): { beforeConfig: number; unsupported: number };
  parked(app: string, streamKey: string): { expired: number; refused: number };
}

/** One stream's counters, gathered from the adapters that keep them. */
export function gatherStreamCounters(stream: LiveStream, sources: StreamCounterSources): StreamCounters {
  const { app, streamKey } = stream;
  const tags = sources.tags(app, streamKey);
  const parked = sources.parked(app, streamKey);
  return {
    readerDroppedSamples: stream.readerDrops().samples,
    rtmpPlayerDroppedFrames: sources.rtmpPlayerDroppedFrames(app, streamKey),
    partsOffTarget: sources.partsOffTarget(stream),
    tagsBeforeConfig: tags.beforeConfig,
    tagsUnsupported: tags.unsupported,
    parkedExpired: parked.expired,
    parkedRefused: parked.refused,
  };
}

/**
 * What moved between two readings of a stream's counters: name → increase, only the counters that
 * rose; undefined when none did (a log line per stream per interval, only when something moved).
 */
export function movedCounters(before: StreamCounters | undefined, now: StreamCounters): Partial<StreamCounters> | undefined {
  const moved: Partial<Record<keyof StreamCounters, number>> = {};
  let any = false;
  for (const key of Object.keys(now) as (keyof StreamCounters)[]) {
    const delta = now[key] - (before?.[key] ?? 0);
    if (delta > 0) {
      moved[key] = delta;
      any = true;
    }
  }
  return any ? moved : undefined;
}
