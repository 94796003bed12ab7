import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { packageInMemory } from './packaging.bench.js';
import { benchFlvPath, LONG_RECORDING_SECONDS } from './recording.js';

/**
 * Packages the 60 s recording in memory over and over, for a CPU profile of the packaging path:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/tidecast-prof --import tsx bench/packaging-profile.ts [passes]
 *
 * The main thread's profile is the `*.0.001.cpuprofile` (tsx's loader thread writes another).
 * Warm-up passes run first so the profile shows the optimised code the benchmark times, and the
 * median pass is printed so a profile can be matched to the figure it explains.
 */

const WARMUP_PASSES = 20;
const passes = Number(process.argv[2] ?? 400);
const flv = new Uint8Array(await readFile(await benchFlvPath(LONG_RECORDING_SECONDS)));
for (let i = 0; i < WARMUP_PASSES; i++) await packageInMemory(flv);
const times: number[] = [];
for (let i = 0; i < passes; i++) {
  const start = performance.now();
  await packageInMemory(flv);
  times.push(performance.now() - start);
}
times.sort((a, b) => a - b);
const medianMs = times[times.length >> 1]!;
console.log(`${passes} passes over ${(flv.length / 1e6).toFixed(1)} MB: median ${medianMs.toFixed(2)} ms, ${(flv.length / 1e3 / medianMs).toFixed(0)} MB/s`);
