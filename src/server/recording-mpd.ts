import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { avcCodecString, hevcCodecString, parseAvcC, parseHvcC } from '../codec/index.js';
import { renderMpd, staticMpd, type DashSegment, type DashTrack, type StaticDashRendition } from '../dash/index.js';
import { fragmentDecodeTicks, fragmentDurationTicks, fragmentHeaders, initDefaults, initSampleEntry, piecesFragmentHeaders, type TrackDefaults } from './recorder-boxes.js';
import { replaceFile } from './recorder-files.js';
import { initFileName, segmentUri, type RecordedSegment } from './recorder-playlists.js';
import type { RecordingRendition } from './recording-catalog.js';

/**
 * A finished recording's static DASH MPD (docs/recording.md "The static MPD"): `manifest.mpd` in its folder,
 * over the very files its HLS playlists list. The Periods and timelines are the live MPD's
 * (dash/static-mpd.ts); what they are computed from comes from the files themselves:
 *
 * - each segment's S@t is its first fragment's tfdt and S@d the sum of its samples' durations
 *   (trun, tfhd, trex), read from its moof boxes only (recorder-boxes.ts): never the media. The
 *   recorder takes them from the bytes it writes (RecordingTicks); the repair reads the files;
 * - each init generation's timescale, coded size, pixel aspect ratio, channel count and codec
 *   string (from avcC / hvcC) come from its init segment, so a Period after a codec change has its
 *   own; the rest (frame rate, the audio codec string, the peak bit rate) from recording.json;
 * - a segment starts a new Period where the playlist has EXT-X-DISCONTINUITY: the packager marked
 *   one, the init generation changes, or numbers jump (segments missed); a date jump too, as live.
 *
 * Written by the recorder when it closes a recording, before its `completed` event, and by the
 * start-up repair; served by recordings-files.ts.
 */

export const RECORDING_MPD_FILE = 'manifest.mpd';

/** A segment's S@t and S@d, in its track's ticks. */
export interface SegmentTicks {
  readonly startTicks: number;
  readonly durationTicks: number;
}

/** One rendition of a finished recording: what recording.json says of it, and its segments as its playlist lists them. */
export interface RecordedRendition {
  readonly rendition: RecordingRendition;
  readonly segments: readonly RecordedSegment[];
  /** Ticks already known (the recorder's, from the bytes it wrote): a segment without them is read from its file. */
  readonly ticks?: (msn: number) => SegmentTicks | undefined;
}

/**
 * The ticks of the segments a recording writes, taken from their bytes in memory as they are put
 * (their moofs, and the newest init's timescale and defaults), so that closing a recording of hours
 * reads no segment file again.
 */
export class RecordingTicks {
  readonly #defaults = new Map<string, { generation: number; defaults: TrackDefaults | undefined }>();
  readonly #ticks = new Map<string, Map<number, SegmentTicks>>();

  /** An init segment: a segment put after it decodes with the newest generation's. */
  init(rendition: string, generation: number, pieces: readonly Uint8Array[]): void {
    const known = this.#defaults.get(rendition);
    if (known !== undefined && known.generation > generation) return;
    this.#defaults.set(rendition, { generation, defaults: initDefaults(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces)) });
  }

  segment(rendition: string, msn: number, pieces: readonly Uint8Array[]): void {
    const defaults = this.#defaults.get(rendition)?.defaults;
    const timing = defaults === undefined ? undefined : ticksOf(piecesFragmentHeaders(pieces), defaults);
    let map = this.#ticks.get(rendition);
    if (map === undefined) this.#ticks.set(rendition, (map = new Map()));
    if (timing === undefined) map.delete(msn);
    else map.set(msn, timing);
  }

  get(rendition: string, msn: number): SegmentTicks | undefined {
    return this.#ticks.get(rendition)?.get(msn);
  }
}

/**
 * Writes the recording's manifest.mpd (replaced atomically), or removes a stale one when no
 * segment could be placed (no readable init or fragment). `publishTimeMs`: MPD@publishTime (the
 * recording's end). Resolves to whether an MPD was written.
 */
export async function writeRecordingMpd(folder: string, renditions: readonly RecordedRendition[], publishTimeMs?: number): Promise<boolean> {
  const text = await recordingMpd(folder, renditions, publishTimeMs);
  const file = path.join(folder, RECORDING_MPD_FILE);
  if (text === undefined) {
    await rm(file, { force: true });
    return false;
  }
  await replaceFile(file, text);
  return true;
}

/** The MPD's text, or undefined when no segment can be placed. */
export async function recordingMpd(folder: string, renditions: readonly RecordedRendition[], publishTimeMs?: number): Promise<string | undefined> {
  const placed = await Promise.all(renditions.map((r) => dashRendition(path.join(folder, r.rendition.name), r)));
  const mpd = staticMpd(placed.filter((r): r is StaticDashRendition => r !== undefined), publishTimeMs === undefined ? {} : { publishTimeMs });
  return mpd === undefined ? undefined : renderMpd(mpd);
}

interface Generation {
  readonly track: DashTrack;
  readonly defaults: TrackDefaults;
}

/** Segment files read at once per rendition: the reads are small, and the thread pool overlaps them. */
const CONCURRENT_READS = 8;

/** A rendition's segments with their ticks and tracks; undefined when none can be placed. */
async function dashRendition(folder: string, { rendition, segments, ticks }: RecordedRendition): Promise<StaticDashRendition | undefined> {
  const generations = new Map<number, Generation | undefined>();
  for (const s of segments) if (!generations.has(s.generation)) generations.set(s.generation, await generation(path.join(folder, initFileName(s.generation)), rendition));
  const timings: Array<SegmentTicks | undefined> = new Array(segments.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < segments.length; i = next++) {
      const g = generations.get(segments[i]!.generation);
      timings[i] = g === undefined ? undefined : (ticks?.(segments[i]!.msn) ?? (await segmentTiming(path.join(folder, segmentUri(segments[i]!.msn)), g.defaults)));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT_READS }, worker));
  const placed: DashSegment[] = [];
  let previous: RecordedSegment | undefined;
  segments.forEach((s, i) => {
    const timing = timings[i];
    if (timing === undefined || timing.durationTicks <= 0) return;
    // The playlist's EXT-X-DISCONTINUITY (recorder-playlists.ts), over the segments that could be placed.
    const discontinuity = previous !== undefined && (s.discontinuity || s.generation !== previous.generation || s.msn !== previous.msn + 1);
    placed.push({ msn: s.msn, programDateTimeMs: s.programDateTimeMs, discontinuity, generation: s.generation, ...timing, track: generations.get(s.generation)!.track });
    previous = s;
  });
  const last = placed.at(-1);
  return last === undefined ? undefined : { name: rendition.name, track: last.track!, bandwidth: rendition.bandwidth, segments: placed };
}

/** An init generation's track as the MPD reads it; undefined when its init segment is missing or unreadable. */
async function generation(file: string, rendition: RecordingRendition): Promise<Generation | undefined> {
  const init = await readFile(file).catch(() => undefined);
  const defaults = init === undefined ? undefined : initDefaults(init);
  const entry = init === undefined ? undefined : initSampleEntry(init);
  if (defaults === undefined || entry === undefined) return undefined;
  if (rendition.kind === 'audio') {
    const codecString = rendition.codecs;
    if (codecString === '') return undefined;
    return { defaults, track: { kind: 'audio', timescale: defaults.timescale, codecString, sampleRate: rendition.sampleRate ?? entry.sampleRate ?? defaults.timescale, channels: entry.channels ?? rendition.channels ?? 2 } };
  }
  const codecString = videoCodecString(entry.format, entry.configuration) ?? rendition.codecs;
  if (codecString === '') return undefined;
  return {
    defaults,
    track: {
      kind: 'video',
      timescale: defaults.timescale,
      codecString,
      width: entry.width ?? rendition.width ?? 0,
      height: entry.height ?? rendition.height ?? 0,
      frameRate: rendition.frameRate,
      sarWidth: entry.sarWidth ?? 1,
      sarHeight: entry.sarHeight ?? 1,
    },
  };
}

/** RFC 6381 codec string from the configuration record (as the packager makes it, tracks-from-configs.ts); undefined when it cannot be read. */
function videoCodecString(format: string, configuration: Uint8Array | undefined): string | undefined {
  if (configuration === undefined) return undefined;
  try {
    if (format === 'avc1' || format === 'avc3') {
      const c = parseAvcC(configuration);
      return avcCodecString(c.profileIdc, c.profileCompatibility, c.levelIdc);
    }
    if (format === 'hvc1' || format === 'hev1') return hevcCodecString(parseHvcC(configuration), format);
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * A segment file's S@t (its first fragment's tfdt) and S@d (every sample's duration), from its
 * moof boxes; undefined when the file is missing or holds no complete fragment.
 */
async function segmentTiming(file: string, defaults: TrackDefaults): Promise<SegmentTicks | undefined> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (handle === undefined) return undefined;
  try {
    return ticksOf(await fragmentHeaders(handle, (await handle.stat()).size), defaults);
  } finally {
    await handle.close();
  }
}

/** S@t: the first moof's tfdt; S@d: every moof's sample durations. */
function ticksOf(moofs: readonly Uint8Array[], defaults: TrackDefaults): SegmentTicks | undefined {
  let durationTicks = 0;
  for (const moof of moofs) durationTicks += fragmentDurationTicks(moof, defaults);
  const startTicks = moofs.length === 0 ? undefined : fragmentDecodeTicks(moofs[0]!);
  return startTicks === undefined ? undefined : { startTicks, durationTicks };
}
