import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RecordingInfo, RecordingRendition } from './recording-catalog.js';
import { isRenditionName } from './recordings-files.js';
import { firstDecodeTicks, mergeHeaders, readTrackHeader, renumber, segmentFragments, type FragmentPair } from './recordings-mp4.js';

/**
 * A time range of a recording as one fragmented MP4 file (docs/recording.md "Export"), cut at
 * keyframes with no re-encoding: every segment starts with one (the packager cuts there), so the
 * export is the segments of the leading rendition (the video of highest bandwidth, else the audio)
 * that overlap [start, start + duration] — the range widened to the segment boundaries around it —
 * and the same segments (same media sequence numbers: the renditions are cut together) of the
 * first audio rendition. One header with both tracks, then their fragments in decode-time order
 * (recordings-mp4.ts), the first at time 0. A change of init segment (the publisher's codec
 * settings changed) ends the export there: one header describes one setup. Segments are read one
 * pair at a time, so an export of hours holds a few MB.
 */

/** A segment of a recording's media playlist, timed from the playlist's start. */
export interface PlaylistSegment {
  readonly uri: string;
  readonly msn: number;
  readonly startSeconds: number;
  readonly durationSeconds: number;
  /** The EXT-X-MAP URI in force (its init segment). */
  readonly map: string | undefined;
  /** EXT-X-GAP: listed for its time, no media. */
  readonly gap: boolean;
}

/**
 * Segments of a recorder's media playlist (RFC 8216bis 4.4.4.1 EXTINF, 4.4.4.5 EXT-X-MAP,
 * 4.4.4.7 EXT-X-GAP), timed by the sum of the durations before them, as a player times them.
 */
export function parseRecordingPlaylist(text: string): PlaylistSegment[] {
  const out: PlaylistSegment[] = [];
  let map: string | undefined;
  let duration: number | undefined;
  let gap = false;
  let at = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    // Only the recorder's names (init-<generation>.mp4): nothing in a playlist leads out of its folder.
    if (line.startsWith('#EXT-X-MAP:')) map = /URI="(init-\d{1,9}\.mp4)"/.exec(line)?.[1];
    else if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice(8));
    else if (line === '#EXT-X-GAP') gap = true;
    else if (line !== '' && !line.startsWith('#') && duration !== undefined && Number.isFinite(duration)) {
      const msn = /^(\d+)\.m4s$/.exec(line)?.[1];
      if (msn !== undefined) out.push({ uri: line, msn: Number(msn), startSeconds: at, durationSeconds: duration, map, gap });
      at += duration;
      duration = undefined;
      gap = false;
    }
  }
  return out;
}

/** A millisecond's slack on the summed EXTINF times: a segment ending at 20.0000001 does not overlap a range from 20. */
const EPSILON_SECONDS = 0.001;

/** The segments overlapping [start, start + duration], all of the first one's init segment. */
export function selectSegments(segments: readonly PlaylistSegment[], startSeconds: number, durationSeconds: number): PlaylistSegment[] {
  const end = startSeconds + durationSeconds;
  // Each end snaps to the nearest segment boundary (a keyframe): a segment is in when its middle
  // is, so the file is off the range by at most half a segment at either end — one segment (one
  // keyframe interval at the recommended settings) in all. A range shorter than that gets the
  // segment holding its start.
  const middle = (s: PlaylistSegment): number => s.startSeconds + s.durationSeconds / 2;
  let first = segments.findIndex((s) => middle(s) >= startSeconds - EPSILON_SECONDS && middle(s) < end);
  if (first < 0) first = segments.findIndex((s) => s.startSeconds <= startSeconds + EPSILON_SECONDS && s.startSeconds + s.durationSeconds > startSeconds + EPSILON_SECONDS);
  if (first < 0) return [];
  const out = [segments[first]!];
  for (const s of segments.slice(first + 1)) {
    if (middle(s) >= end || s.map !== out[0]!.map) break;
    out.push(s);
  }
  return out;
}

interface ExportTrack {
  readonly rendition: RecordingRendition;
  /** By media sequence number: this track's selected segments. */
  readonly segments: ReadonlyMap<number, PlaylistSegment>;
  readonly timescale: number;
  /** Ticks the track moves back: its first sample then starts at its own delay after the export's time 0. */
  readonly shiftTicks: number;
  /** Its first sample's decode time before the move. */
  readonly firstTicks: number;
  /** Its init segment, as read. */
  readonly init: Uint8Array;
}

export interface ExportPlan {
  /** Where the file starts and how long it lasts on the recording's timeline (its segment boundaries). */
  readonly startSeconds: number;
  readonly durationSeconds: number;
  readonly header: Uint8Array;
  readonly tracks: readonly ExportTrack[];
  readonly msns: readonly number[];
  readonly folder: string;
}

/** What an export of this range would hold, or why there is none (the range is past the end, no segment yet). */
export async function planExport(folder: string, info: RecordingInfo, startSeconds: number, durationSeconds: number): Promise<ExportPlan | { readonly problem: string }> {
  const videos = info.renditions.filter((r) => r.kind === 'video').sort((a, b) => b.bandwidth - a.bandwidth);
  const audio = info.renditions.find((r) => r.kind === 'audio');
  const leader = videos[0] ?? audio;
  if (leader === undefined || !info.renditions.every((r) => isRenditionName(r.name))) return { problem: 'the recording has no rendition it can export' };
  const playlist = async (r: RecordingRendition): Promise<PlaylistSegment[]> => parseRecordingPlaylist(await readFile(path.join(folder, r.name, 'index.m3u8'), 'utf8').catch(() => ''));
  const chosen = selectSegments(await playlist(leader), startSeconds, durationSeconds).filter((s) => !s.gap && s.map !== undefined);
  if (chosen.length === 0) return { problem: `no segment of the recording (${info.durationSeconds.toFixed(1)} s) overlaps ${startSeconds}–${startSeconds + durationSeconds} s` };
  const msns = chosen.map((s) => s.msn);
  const renditions: Array<{ rendition: RecordingRendition; segments: PlaylistSegment[] }> = [{ rendition: leader, segments: chosen }];
  if (audio !== undefined && audio !== leader) {
    const wanted = new Set(msns);
    const listed = (await playlist(audio)).filter((s) => wanted.has(s.msn) && !s.gap && s.map !== undefined);
    const same = listed.filter((s) => s.map === listed[0]?.map);
    if (same.length > 0) renditions.push({ rendition: audio, segments: same });
  }
  const headers = await Promise.all(renditions.map(async ({ rendition, segments }) => readTrackHeader(await readFile(path.join(folder, rendition.name, segments[0]!.map!)))));
  // Time 0 is the earliest first sample of the tracks; each track moves back by that instant.
  const firsts = await Promise.all(renditions.map(async ({ rendition, segments }) => firstDecodeTicks(await readFile(path.join(folder, rendition.name, segments[0]!.uri)))));
  const zeroSeconds = Math.min(...firsts.map((ticks, i) => ticks / headers[i]!.timescale));
  const durationOut = chosen.reduce((sum, s) => sum + s.durationSeconds, 0);
  return {
    startSeconds: chosen[0]!.startSeconds,
    durationSeconds: durationOut,
    header: mergeHeaders(headers, durationOut * 1000),
    tracks: renditions.map(({ rendition, segments }, i) => ({
      rendition,
      segments: new Map(segments.map((s) => [s.msn, s])),
      timescale: headers[i]!.timescale,
      firstTicks: firsts[i]!,
      init: headers[i]!.bytes,
      shiftTicks: Math.min(firsts[i]!, Math.floor(zeroSeconds * headers[i]!.timescale)),
    })),
    msns,
    folder,
  };
}

/** The export's bytes: the header, then each segment's fragments of every track, by decode time, numbered from 1. */
export async function* exportBytes(plan: ExportPlan): AsyncGenerator<Uint8Array> {
  yield plan.header;
  let sequence = 1;
  for (const msn of plan.msns) {
    const pairs: Array<{ pair: FragmentPair; seconds: number }> = [];
    for (const [i, track] of plan.tracks.entries()) {
      const segment = track.segments.get(msn);
      if (segment === undefined) continue;
      // A buffer of its own, read for this export: patched in place.
      const bytes = await readFile(path.join(plan.folder, track.rendition.name, segment.uri));
      for (const pair of segmentFragments(bytes, i + 1, track.shiftTicks)) pairs.push({ pair, seconds: pair.decodeTicks / track.timescale });
    }
    pairs.sort((a, b) => a.seconds - b.seconds);
    for (const { pair } of pairs) {
      renumber(pair, sequence++);
      yield pair.bytes;
    }
  }
}
