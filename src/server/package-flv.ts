import { DEFAULT_SEGMENT_TARGET_SECONDS } from '../cmaf/segmenter-types.js';
import { MediaError } from '../errors/index.js';
import { FlvFileReader } from '../flv/file-reader.js';
import { HlsVodPackager, type PackagedFile } from '../hls/vod-packager.js';
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
 * What a packaging run tells its driver about the input bytes it keeps, so a driver that reuses
 * its read buffers (packageFlvFile) knows when one is free again: `sample` for each sample (its
 * `data` is a view of a pushed buffer until a file holding it is written), `kept` for a tag body
 * that outlives the call in another form (a sequence header becomes a track's decoder config).
 */
export interface FlvPackagingHooks {
  sample?(data: Uint8Array): void;
  kept?(body: Uint8Array): void;
}

/**
 * One FLV → HLS VOD run, driven by pushing the file's bytes: FLV tags → Tracks and Samples
 * (FlvToMedia) → CMAF segments and playlists (HlsVodPackager). Each push returns the files it
 * completed, so memory holds about one segment per track.
 */
export class FlvPackagingRun {
  readonly progress: PackageFlvProgress = { bytesRead: 0, samples: 0, files: 0 };
  readonly #reader = new FlvFileReader();
  readonly #media = new FlvToMedia();
  readonly #maxHeld: number;
  readonly #segmentTargetSeconds: number;
  readonly #hooks: FlvPackagingHooks;
  #expected = { audio: true, video: true };
  #held: Sample[] | undefined = [];
  #packager: HlsVodPackager | undefined;

  constructor(options: PackageFlvOptions = {}, hooks: FlvPackagingHooks = {}) {
    this.#maxHeld = options.maxSamplesBeforeTracks ?? 1000;
    this.#segmentTargetSeconds = options.segmentTargetSeconds ?? DEFAULT_SEGMENT_TARGET_SECONDS;
    this.#hooks = hooks;
  }

  get tracks(): Track[] {
    return [this.#media.videoTrack, this.#media.audioTrack].filter((t): t is Track => t !== undefined);
  }

  /** Bytes pushed but not yet read as whole tags: the tail of the input the reader still holds. */
  get bufferedBytes(): number {
    return this.#reader.bufferedBytes;
  }

  /** The next bytes of the file; returns the files completed so far and not yet returned. */
  push(chunk: Uint8Array): PackagedFile[] {
    this.#reader.push(chunk);
    this.progress.bytesRead += chunk.length;
    for (let item = this.#reader.read(); item !== null; item = this.#reader.read()) {
      if (item.kind === 'header') {
        this.#expected = { audio: item.hasAudio, video: item.hasVideo };
        continue;
      }
      for (const e of this.#media.push(item.type, item.timestamp, item.body)) {
        if (e.type === 'sample') this.#sample(e.sample);
        else if (e.type === 'track') {
          if (this.#packager !== undefined) {
            throw new MediaError('ERR_MEDIA_INVALID', `the ${e.track.kind} configuration changes mid-file; the VOD packager needs one configuration per track`, { trackId: e.track.id });
          }
          this.#hooks.kept?.(item.body);
        }
        // 'metadata' (onMetaData and the like) is decoded into values and dropped: nothing kept.
      }
    }
    return this.#take(this.#packager?.takeFiles() ?? []);
  }

  /** The input is complete: cuts the last segments and returns every file not yet returned. */
  end(): PackagedFile[] {
    this.#reader.end();
    if (this.#packager === undefined) {
      if (this.tracks.length === 0) throw new MediaError('ERR_MEDIA_INVALID', 'the FLV file has no AVC, HEVC or AAC track to package', {});
      this.#packager = this.#start();
    }
    return this.#take(this.#packager.finish());
  }

  #sample(sample: Sample): void {
    this.progress.samples++;
    this.#hooks.sample?.(sample.data);
    if (this.#packager !== undefined) return this.#packager.push(sample);
    this.#held!.push(sample);
    const media = this.#media;
    const ready = (!this.#expected.video || media.videoTrack !== undefined) && (!this.#expected.audio || media.audioTrack !== undefined);
    if (ready || this.#held!.length >= this.#maxHeld) this.#packager = this.#start();
  }

  #start(): HlsVodPackager {
    const packager = new HlsVodPackager(this.tracks, { segmentTargetSeconds: this.#segmentTargetSeconds });
    for (const s of this.#held ?? []) packager.push(s);
    this.#held = undefined;
    return packager;
  }

  #take(files: PackagedFile[]): PackagedFile[] {
    this.progress.files += files.length;
    return files;
  }
}

/**
 * An .flv file → an HLS VOD presentation (FlvPackagingRun). The input is read as it arrives and
 * each file is handed to `write` as soon as it is complete, so memory holds about one segment per
 * track. `progress.files` counts the files completed, each written before the next read.
 */
export async function packageFlv(
  input: AsyncIterable<Uint8Array>,
  write: (file: PackagedFile) => Promise<void> | void,
  options: PackageFlvOptions = {},
  onProgress?: (p: PackageFlvProgress) => void,
): Promise<{ tracks: Track[]; progress: PackageFlvProgress }> {
  const run = new FlvPackagingRun(options);
  for await (const chunk of input) {
    for (const f of run.push(chunk)) await write(f);
    onProgress?.(run.progress);
  }
  for (const f of run.end()) await write(f);
  onProgress?.(run.progress);
  return { tracks: run.tracks, progress: run.progress };
}
