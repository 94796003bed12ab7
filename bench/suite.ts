import { Bench } from 'tinybench';

/** How long each suite may run: `quick` is the short CI pass of `npm run bench -- --quick`. */
export interface BenchRunOptions {
  quick: boolean;
}

/** One line of the results table: the median time of one pass over `payloadBytes`. */
export interface BenchRow {
  suite: string;
  name: string;
  /** Median (p50) wall time of one iteration, in milliseconds. */
  medianMs: number;
  /** Message payload bytes one iteration moves. */
  payloadBytes: number;
  /** `payloadBytes / medianMs`, in MB/s (10^6 bytes per second). */
  payloadMBps: number;
  samples: number;
}

export interface BenchSuite {
  name: string;
  run(options: BenchRunOptions): Promise<BenchRow[]>;
}

export interface BenchCase {
  name: string;
  payloadBytes: number;
  fn: () => void;
}

/**
 * Times each case with tinybench and reports the median: a replay allocates, so a few iterations
 * pay for garbage collection and the mean would move with them. Time budgets per case: 3 s
 * (quick: 0.3 s) after 1 s (quick: 0.1 s) of warm-up, so the JIT has settled on its fast path.
 */
export async function timeCases(suite: string, cases: BenchCase[], options: BenchRunOptions): Promise<BenchRow[]> {
  const bench = new Bench({
    time: options.quick ? 300 : 3000,
    warmupTime: options.quick ? 100 : 1000,
    iterations: options.quick ? 5 : 20,
    throws: true,
  });
  for (const c of cases) bench.add(c.name, c.fn);
  await bench.run();
  return cases.map((c) => {
    const result = bench.getTask(c.name)?.result;
    if (result === undefined || !('latency' in result)) throw new Error(`bench ${suite} / ${c.name} did not complete`);
    const medianMs = result.latency.p50;
    return { suite, name: c.name, medianMs, payloadBytes: c.payloadBytes, payloadMBps: c.payloadBytes / 1e3 / medianMs, samples: result.latency.samplesCount };
  });
}
