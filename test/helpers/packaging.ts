import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAudioTag, parseVideoTag, readFlvFile } from '../../src/flv/index.js';
import type { Sample, Track } from '../../src/media/index.js';
import { FlvToMedia } from '../../src/server/index.js';
import { fixturePath, runFfprobeJson, spawnFfmpeg } from './ffmpeg.js';
import { concatBytes, parseMp4, type ParsedFragment, type ParsedSample, type ParsedTrack } from './mp4box.js';
import { spawnTool, type ToolResult } from './process.js';

/**
 * The packaging tests (test/integration/package-*.test.ts) run `tidecast package` as a user does
 * and read its output with tools tidecast did not write: ffprobe and ffmpeg through the
 * multivariant playlist, mp4box.js segment by segment. What those tools must find is computed
 * here from the source FLV: its tag times (what ffprobe reports for the source) and what
 * FlvToMedia makes of it (the samples the packager was given).
 */

// ---------------------------------------------------------------------------------------------
// Fixtures (fixtures/README.md)

export interface PackagingFixture {
  /** File name under fixtures/media/. */
  readonly file: string;
  readonly video: boolean;
  readonly audio: boolean;
  /** ffprobe 5.1 reads no Enhanced-RTMP FLV: then the source times come from the FLV tags alone. */
  readonly ffprobeReadsSource: boolean;
}

export const PACKAGING_FIXTURES: readonly PackagingFixture[] = [
  { file: 'h264-aac.flv', video: true, audio: true, ffprobeReadsSource: true },
  { file: 'aac-only.flv', video: false, audio: true, ffprobeReadsSource: true },
  { file: 'h264-only.flv', video: true, audio: false, ffprobeReadsSource: true },
  { file: 'h264-1366x768-aac.flv', video: true, audio: true, ffprobeReadsSource: true },
  { file: 'h264-he-aac.flv', video: true, audio: true, ffprobeReadsSource: true },
  { file: 'hevc-aac-ertmp.flv', video: true, audio: true, ffprobeReadsSource: false },
];

// ---------------------------------------------------------------------------------------------
// The CLI

const root = new URL('../../', import.meta.url).pathname;
/** tsx as a loader in the one node process (the tsx CLI would start a second one, which a SIGKILL of the first would orphan). */
const tsx = '--import=tsx';

/** `tidecast package …args` from the repository root, through tsx, as test/cli/main.test.ts runs it. */
export function runPackageCli(args: readonly string[], timeoutMs = 30_000): Promise<ToolResult> {
  return spawnTool(process.execPath, [tsx, 'src/cli/main.ts', 'package', ...args], { timeoutMs, cwd: root }).done;
}

// ---------------------------------------------------------------------------------------------
// The source

/** One frame as the FLV tag states it: dts is the tag timestamp, pts adds CompositionTime (E.4.3.1). */
export interface SourceFrame {
  readonly dtsMs: number;
  readonly ptsMs: number;
  readonly keyframe: boolean;
}

export interface SourceMedia {
  readonly video: SourceFrame[];
  readonly audio: SourceFrame[];
  /** FlvToMedia's tracks, video first. */
  readonly tracks: Track[];
  /**
   * FlvToMedia's samples per track id, with each video duration set to the next dts minus its
   * own (the FLV knows no other) and the last one repeating the one before it.
   */
  readonly samples: Map<number, Sample[]>;
}

export function loadSource(file: string): SourceMedia {
  const { tags } = readFlvFile(readFileSync(fixturePath(`media/${file}`)));
  const video: SourceFrame[] = [];
  const audio: SourceFrame[] = [];
  const media = new FlvToMedia();
  const samples = new Map<number, Sample[]>();
  for (const tag of tags) {
    if (tag.type === 9) {
      const v = parseVideoTag(tag.body);
      if (v.packetType === 'coded-frames') video.push({ dtsMs: tag.timestamp, ptsMs: tag.timestamp + v.compositionTimeMs, keyframe: v.frameType === 'key' });
    } else if (tag.type === 8 && tag.body.length > 0 && parseAudioTag(tag.body).packetType === 'coded-frames') {
      audio.push({ dtsMs: tag.timestamp, ptsMs: tag.timestamp, keyframe: true });
    }
    for (const e of media.push(tag.type, tag.timestamp, tag.body)) {
      if (e.type === 'sample') (samples.get(e.sample.trackId) ?? samples.set(e.sample.trackId, []).get(e.sample.trackId)!).push({ ...e.sample });
    }
  }
  for (const list of samples.values()) fillDurations(list);
  const tracks = [media.videoTrack, media.audioTrack].filter((t): t is Track => t !== undefined);
  return { video, audio, tracks, samples };
}

function fillDurations(list: Sample[]): void {
  list.forEach((s, i) => {
    const next = list[i + 1];
    if (next !== undefined) s.duration = next.dts - s.dts;
    else if (s.duration === 0) s.duration = list[i - 1]?.duration ?? 0;
  });
}

// ---------------------------------------------------------------------------------------------
// ffprobe and ffmpeg

export interface ProbedStream {
  readonly index: number;
  readonly codec_type: string;
  readonly codec_name: string;
  readonly profile?: string;
  readonly time_base: string;
  readonly sample_rate?: string;
  readonly channels?: number;
  readonly width?: number;
  readonly height?: number;
}

/** ffprobe's packet fields as it prints them: times are strings with microsecond precision. */
export interface ProbedPacket {
  readonly codec_type: string;
  readonly stream_index: number;
  readonly pts: number;
  readonly dts: number;
  /** Absent when ffprobe prints N/A. */
  readonly duration?: number;
  readonly pts_time: string;
  readonly dts_time: string;
  readonly flags: string;
}

export interface Probe {
  readonly streams: ProbedStream[];
  readonly video: ProbedPacket[];
  readonly audio: ProbedPacket[];
}

/** Streams and packets of `file` (an .flv, or an index.m3u8 with every rendition it names). */
export async function probe(file: string): Promise<Probe> {
  const out = await runFfprobeJson<{ streams?: ProbedStream[]; packets?: ProbedPacket[] }>([
    '-show_entries',
    'stream=index,codec_type,codec_name,profile,time_base,sample_rate,channels,width,height:packet=codec_type,stream_index,pts,dts,duration,pts_time,dts_time,flags',
    file,
  ]);
  const packets = out.packets ?? [];
  return { streams: out.streams ?? [], video: packets.filter((p) => p.codec_type === 'video'), audio: packets.filter((p) => p.codec_type === 'audio') };
}

/** Microsecond time string as ffprobe prints it, for a time in ms. */
export function msToTimeString(ms: number): string {
  return (ms / 1000).toFixed(6);
}

/** `ffmpeg -v error -xerror -i file -f null -`: decodes everything; any message or failure is an error. */
export async function decodeAll(file: string): Promise<ToolResult> {
  const run = await spawnFfmpeg(['-v', 'error', '-xerror', '-i', file, '-f', 'null', '-'], { timeoutMs: 30_000 });
  return run.done;
}

// ---------------------------------------------------------------------------------------------
// The output, segment by segment

export interface ParsedSegment {
  readonly uri: string;
  readonly tracks: readonly ParsedTrack[];
  readonly fragments: readonly ParsedFragment[];
  readonly samples: readonly ParsedSample[];
}

export interface ParsedRendition {
  readonly playlist: string;
  readonly segments: ParsedSegment[];
}

/** URIs of a media playlist's segments, in order (RFC 8216bis 4.1: every line not a tag or blank). */
export function segmentUris(playlist: string): string[] {
  return playlist.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

/** Every segment of `<outdir>/<name>/`, each parsed by mp4box.js after the rendition's init segment. */
export async function readRendition(outdir: string, name: string): Promise<ParsedRendition> {
  const playlist = await readFile(join(outdir, name, 'index.m3u8'), 'utf8');
  const init = await readFile(join(outdir, name, 'init.mp4'));
  const segments: ParsedSegment[] = [];
  for (const uri of segmentUris(playlist)) {
    const parsed = parseMp4(concatBytes([init, await readFile(join(outdir, name, uri))]));
    const samples = [...parsed.samples.values()].flat();
    segments.push({ uri, tracks: parsed.tracks, fragments: parsed.fragments, samples });
  }
  return { playlist, segments };
}

/** Runs `task` over `items` with at most `limit` running at once, results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
