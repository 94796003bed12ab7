import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Folders whose test files leave nothing behind in the process: codecs, parsers, packagers, stores
 * and HTTP routes, with child processes (ffprobe, tsx) at most. No file of theirs adds a process
 * listener, patches a global or relies on a fresh module (src/ has no module-level state), so they
 * share a worker's module cache (isolate: false), which saves an import of the sources per file.
 * Every other folder (servers, the CLI, browsers, process-wide handlers) keeps one worker per file;
 * a new folder does too until it is added here.
 */
const SHARED_WORKER_FILES = [
  ...['amf', 'bytes', 'codec', 'flv', 'cmaf', 'hub', 'media', 'config', 'store', 'hls', 'dash', 'ts', 'rtmp', 'http', 'observability'].map((folder) => `test/${folder}/**/*.test.ts`),
  'test/errors.test.ts',
  'test/architecture.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // vitest's default in a run is one worker fewer than the cores: one worker on a 2-core machine,
    // where most of the suite's time is spent waiting on real-time publishers and child processes.
    // Three there: with two, npm test took 5 min 2 s in CI (tsc included), the workers mostly waiting.
    maxWorkers: Math.max(3, availableParallelism() - 1),
    // Threads start faster than forks; no test needs a process of its own (signals are tested on
    // spawned CLIs, memory bounds read the isolate's own process.memoryUsage().arrayBuffers).
    pool: 'threads',
    // Files run longest first (vitest's sequencer, from its cache of durations); the projects run in
    // name order, so the long isolated files start first and the many short shared ones fill the end.
    projects: [
      { extends: true, test: { name: 'isolated', include: ['test/**/*.test.ts'], exclude: SHARED_WORKER_FILES } },
      { extends: true, test: { name: 'shared', include: SHARED_WORKER_FILES, isolate: false } },
    ],
  },
});
