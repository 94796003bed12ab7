import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readFlvFile } from '../src/flv/index.js';
import { HlsLivePackager } from '../src/hls/index.js';
import type { Sample, Track } from '../src/media/index.js';
import { FlvToMedia } from '../src/server/flv-to-media.js';
import { prefixedStore } from '../src/server/prefixed-store.js';
import { Recorder } from '../src/server/recorder.js';
import { scanRecordings } from '../src/server/recording-catalog.js';
import { describeTrack } from '../src/server/recording-wiring.js';
import { tappedStore } from '../src/server/store-taps.js';
import { MemoryStore } from '../src/store/index.js';
import { benchFlvPath, SHORT_RECORDING_SECONDS } from './recording.js';

/**
 * Recording overhead (issue 13, Done when 7): what a recorder tap adds to live packaging, as CPU
 * per recorded stream. One pass packages the 20 s 1080p30 6 Mb/s recording (the live server's
 * input) with the live packager (LL-HLS on, as by default: a part every 0.2 s, each a store put)
 * into a MemoryStore, as fast as it goes, once without a tap and once with a Recorder writing every
 * part and segment to a folder under os.tmpdir() (its writes, fdatasync per segment and playlist
 * renames included: the pass ends when the recording is finished on disk). CPU is the process's
 * user + system time over the pass (libuv's threads, which do the writes, included), shown per
 * second of media: the share of a core one real-time stream costs.
 */

interface Pass {
  wallMs: number;
  cpuMs: number;
}

const RUNS = { quick: 3, full: 9 };

/** The recording's tracks and samples, made once: every pass packages the same sample objects. */
function mediaOf(file: string): { tracks: Track[]; samples: Sample[]; seconds: number } {
  const media = new FlvToMedia();
  const samples: Sample[] = [];
  let lastMs = 0;
  for (const tag of readFlvFile(readFileSync(file)).tags) {
    for (const e of media.push(tag.type, tag.timestamp, tag.body)) if (e.type === 'sample') samples.push(e.sample);
    lastMs = Math.max(lastMs, tag.timestamp);
  }
  const tracks = [media.videoTrack, media.audioTrack].filter((t): t is NonNullable<typeof t> => t !== undefined);
  return { tracks, samples, seconds: lastMs / 1000 };
}

async function onePass(tracks: Track[], samples: Sample[], mediaSeconds: number, dir: string | undefined): Promise<Pass> {
  const startedAtMs = Date.UTC(2026, 11, 7, 12, 0, 0);
  const recorder =
    dir === undefined
      ? undefined
      : new Recorder(
          { dir, streams: 'all', minFreeBytes: 0 },
          {
            now: () => startedAtMs,
            emit: () => undefined,
            describe: (_app, _key, rendition) => {
              const track = tracks.find((t) => t.kind === rendition);
              return track === undefined ? undefined : describeTrack(rendition, track);
            },
            isLive: () => true,
            settled: async () => undefined,
            targetDurationSeconds: 2,
          },
        );
  await recorder?.ready;
  const store = prefixedStore(tappedStore(new MemoryStore(), recorder === undefined ? [] : [recorder]), 'live/bench');
  const cpu = process.cpuUsage();
  const wall = performance.now();
  recorder?.publish('live', 'bench', false);
  const packager = new HlsLivePackager(store, { onSegment: (e) => recorder?.segmentEvent('live', 'bench', e) });
  packager.setTracks(tracks, startedAtMs);
  for (const sample of samples) packager.pushSample(sample, startedAtMs + Math.round((sample.dts / (tracks.find((t) => t.id === sample.trackId)?.timescale ?? 1000)) * 1000));
  packager.end(startedAtMs + 60_000);
  await packager.idle();
  await recorder?.stop('live', 'bench');
  const wallMs = performance.now() - wall;
  const used = process.cpuUsage(cpu);
  await recorder?.close();
  // A fast wrong recorder is no result: the recording must hold the whole input.
  if (dir !== undefined) {
    const [info] = await scanRecordings(dir);
    if (info === undefined || info.state !== 'complete' || info.durationSeconds < mediaSeconds - 1 || info.bytes < totalBytes(samples)) {
      throw new Error(`the recorder wrote ${JSON.stringify(info)}, not the ${totalBytes(samples)} bytes of samples packaged`);
    }
  }
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

function totalBytes(samples: readonly Sample[]): number {
  let bytes = 0;
  for (const s of samples) bytes += s.data.byteLength;
  return bytes;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function recorderBench(options: { quick: boolean }): Promise<string> {
  const { tracks, samples, seconds } = mediaOf(await benchFlvPath(SHORT_RECORDING_SECONDS));
  const runs = options.quick ? RUNS.quick : RUNS.full;
  const plain: Pass[] = [];
  const recorded: Pass[] = [];
  const scratch = await mkdtemp(path.join(tmpdir(), 'tidecast-bench-recorder-'));
  try {
    // Warm-up of both paths, then the cases alternated so a change in the machine's load falls on both.
    await onePass(tracks, samples, seconds, undefined);
    await onePass(tracks, samples, seconds, path.join(scratch, 'warmup'));
    for (let i = 0; i < runs; i++) {
      plain.push(await onePass(tracks, samples, seconds, undefined));
      recorded.push(await onePass(tracks, samples, seconds, path.join(scratch, `run-${i}`)));
      await rm(path.join(scratch, `run-${i}`), { recursive: true, force: true });
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const row = (name: string, passes: Pass[]): string => {
    const cpuMs = median(passes.map((p) => p.cpuMs));
    return `| ${name} | ${seconds.toFixed(1)} | ${median(passes.map((p) => p.wallMs)).toFixed(1)} | ${cpuMs.toFixed(1)} | ${((cpuMs / 1000 / seconds) * 100).toFixed(3)} |`;
  };
  const extra = (median(recorded.map((p) => p.cpuMs)) - median(plain.map((p) => p.cpuMs))) / 1000 / seconds;
  return [
    `| case | media s | wall ms | CPU ms | CPU % of a core per real-time stream |`,
    `|---|---:|---:|---:|---:|`,
    row('live packaging (LL-HLS) → memory', plain),
    row('… and a recorder tap writing it to disk', recorded),
    `recording overhead: ${(extra * 100).toFixed(3)} % of a core per recorded stream (median of ${runs} passes each, scratch folder under ${tmpdir()})`,
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  console.log(await recorderBench({ quick: process.argv.includes('--quick') }));
}
