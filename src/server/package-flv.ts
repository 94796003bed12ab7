import { MediaError } from '../errors/index.js';
import { FlvFileReader } from '../flv/index.js';
import { HlsVodPackager, type PackagedFile } from '../hls/index.js';
import type { Sample, Track } from '../media/index.js';
import { FlvToMedia } from './flv-to-media.js';

export interface PackageFlvOptions {
  /** Segment target in seconds (cut at the first keyframe past it). Default 2. */
  segmentTargetSeconds?: number;
  /**
   * Samples held while waiting for the sequence headers of every track the FLV header announces.
   * Default 1000 (about 15 s of 30 fps video with audio): encoders send them first; past this the
   * tracks that did appear are packaged alone.
   */
  maxSamplesBeforeTracks?: number;
}

export interface PackageFlvProgress {
  bytesRead: number;
  samples: number;
  files: number;
}

/**
 * An .flv file → an HLS VOD presentation: FLV tags → Tracks and Samples (FlvToMedia) → CMAF
 * segments and playlists (HlsVodPackager). The input is read as it arrives and each file is
 * handed to `write` as soon as it is complete, so memory holds about one segment per track.
 */
export async function packageFlv(
  input: AsyncIterable<Uint8Array>,
  write: (file: PackagedFile) => Promise<void> | void,
  options: PackageFlvOptions = {},
  onProgress?: (p: PackageFlvProgress) => void,
): Promise<{ tracks: Track[]; progress: PackageFlvProgress }> {
  const reader = new FlvFileReader();
  const media = new FlvToMedia();
  const progress: PackageFlvProgress = { bytesRead: 0, samples: 0, files: 0 };
  const maxHeld = options.maxSamplesBeforeTracks ?? 1000;
  const expected = { audio: true, video: true };
  let held: Sample[] | undefined = [];
  let packager: HlsVodPackager | undefined;
  const tracks = (): Track[] => [media.videoTrack, media.audioTrack].filter((t): t is Track => t !== undefined);
  const emit = async (files: PackagedFile[]): Promise<void> => {
    for (const f of files) {
      await write(f);
      progress.files++;
    }
  };
  const start = (): HlsVodPackager => {
    const p = new HlsVodPackager(tracks(), { segmentTargetSeconds: options.segmentTargetSeconds ?? 2 });
    for (const s of held ?? []) p.push(s);
    held = undefined;
    return p;
  };

  for await (const chunk of input) {
    reader.push(chunk);
    progress.bytesRead += chunk.length;
    for (let item = reader.read(); item !== null; item = reader.read()) {
      if (item.kind === 'header') {
        expected.audio = item.hasAudio;
        expected.video = item.hasVideo;
        continue;
      }
      for (const e of media.push(item.type, item.timestamp, item.body)) {
        if (e.type === 'track' && packager !== undefined) {
          throw new MediaError('ERR_MEDIA_INVALID', `the ${e.track.kind} configuration changes mid-file; the VOD packager needs one configuration per track`, { trackId: e.track.id });
        }
        if (e.type !== 'sample') continue;
        progress.samples++;
        if (packager !== undefined) packager.push(e.sample);
        else {
          held!.push(e.sample);
          const ready = (!expected.video || media.videoTrack !== undefined) && (!expected.audio || media.audioTrack !== undefined);
          if (ready || held!.length >= maxHeld) packager = start();
        }
      }
    }
    if (packager !== undefined) await emit(packager.takeFiles());
    onProgress?.(progress);
  }
  reader.end();
  if (packager === undefined) {
    if (tracks().length === 0) throw new MediaError('ERR_MEDIA_INVALID', 'the FLV file has no AVC, HEVC or AAC track to package', {});
    packager = start();
  }
  await emit(packager.finish());
  onProgress?.(progress);
  return { tracks: tracks(), progress };
}
