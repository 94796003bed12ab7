import v8 from 'node:v8';
import { checkNumberRange, integerRange } from '../config/index.js';

/**
 * V8's old-generation growing factor for a live media server: `1 + percent / 100` (V8's
 * `--heap-growing-percent`), set for the whole process when the server starts.
 *
 * Why. V8 counts the external memory (ArrayBuffer bytes) allocated since its last full collection
 * against the old generation's limit, and that limit is the live JavaScript heap times a growing
 * factor. A live server's JavaScript heap is small (about 23 MB at 32 streams) while its media
 * bytes are ArrayBuffers made at the ingest rate (every frame is copied out of the socket read:
 * about 24 MB/s at 32 streams of 6 Mb/s). With V8's own factor the whole heap was marked about
 * twice a second, and garbage collection was about a third of the process's CPU time. With 300
 * (factor 4) it is marked about every two seconds: benchmarks.md, "Live server".
 *
 * What it costs. Between full collections the process holds up to (factor − 1) × the live heap of
 * dead objects and ArrayBuffers, never above the heap limit (`--max-old-space-size`), where V8
 * collects whatever the factor. At 32 streams that was 1.1 MB more RSS per stream, inside the
 * memory target. 0 gives V8 back its own factor.
 *
 * `tidecast serve` calls this at start (`--heap-growing-percent`); an application embedding
 * createMediaServer decides for its own process and calls it, or not, itself.
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 300;

/** 0 (V8's own factor) to 1000 (factor 11). */
export const HEAP_GROWING_PERCENT_RANGE = integerRange(0, 1000);

/** Sets V8's heap growing factor of this process to `1 + percent / 100` (0: V8's own, dynamic). */
export function tuneHeapGrowing(percent: number = DEFAULT_HEAP_GROWING_PERCENT): void {
  checkNumberRange('heapGrowingPercent', percent, HEAP_GROWING_PERCENT_RANGE);
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
