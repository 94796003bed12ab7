import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { invalidOption } from '../config/index.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, runLoadgen, type LoadgenOptions, type LoadgenReport } from './loadgen.js';
import { renderSummary } from './loadgen-stats.js';

/**
 * `tidecast loadgen …`: N virtual LL-HLS viewers and M real-time RTMP publishers against an origin
 * or an edge (src/cli/loadgen.ts); prints a table, and the JSON summary to `--json`.
 * docs/cluster.md "Load generator" says what each figure measures.
 */

export const LOADGEN_USAGE =
  'tidecast loadgen --url http://host:port/<app>/<key>/index.m3u8 [--viewers n] [--duration s] [--ramp s] ' +
  '[--publishers m --publish-url rtmp://host:port/<app>/<key> --file recording.flv [--reconnect]] [--timeout ms] [--json file|-]';

const DEFAULTS = { viewers: 10, durationSeconds: 30, rampSeconds: 2 } as const;

const LOADGEN_HELP = `Usage: ${LOADGEN_USAGE}

Plays a live stream with N virtual LL-HLS viewers (as hls.js in low-latency mode: blocking playlist
reloads for the next part with the preload-hinted part fetched beside them) and, optionally, publishes
it with M real-time RTMP publishers replaying an FLV recording in a loop. Records every request's
latency (send to last byte), status and cache verdict (X-Cache, X-Cache-Status, Age), each part's
delay after its PROGRAM-DATE-TIME availability, and sequence continuity; stops by itself.

  --url url            the multivariant (or media) playlist; {i} = stream index (viewer i plays stream i mod M)
  --viewers n          virtual viewers (default ${DEFAULTS.viewers})
  --duration s         how long the viewers run (default ${DEFAULTS.durationSeconds})
  --ramp s             viewers start spread over this time (default ${DEFAULTS.rampSeconds})
  --publishers m       real-time publishers (default 0: the stream is published by someone else)
  --publish-url url    rtmp://host:port/<app>/<key>; {i} = publisher index (else -i after the key when m > 1)
  --file file          the FLV recording the publishers replay
  --reconnect          a publisher whose connection is lost publishes again (every 1 s until it can)
  --timeout ms         a request's time limit (default ${DEFAULT_REQUEST_TIMEOUT_MS})
  --json file|-        write the JSON summary there (- : standard output, instead of the table)`;

export interface LoadgenRequest {
  readonly options: LoadgenOptions;
  /** Absolute path, or '-' for standard output. */
  readonly json?: string;
}

function number(option: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(text)) throw invalidOption(option, 'a decimal number', text);
  return Number(text);
}

/** The command line after `loadgen` → the run, or 'help'; ERR_CONFIG_INVALID naming the option. */
export function parseLoadgenArgs(args: readonly string[], cwd: string): LoadgenRequest | 'help' {
  let values: ReturnType<typeof parseFlags>['values'];
  try {
    values = parseFlags(args).values;
  } catch (err) {
    throw invalidOption('arguments', LOADGEN_USAGE, `${args.join(' ')} (${(err as Error).message})`);
  }
  if (values.help === true) return 'help';
  if (values.url === undefined) throw invalidOption('--url', 'a playlist URL', 'none');
  const options: LoadgenOptions = {
    url: values.url,
    viewers: number('--viewers', values.viewers, DEFAULTS.viewers),
    durationSeconds: number('--duration', values.duration, DEFAULTS.durationSeconds),
    rampSeconds: number('--ramp', values.ramp, DEFAULTS.rampSeconds),
    publishers: number('--publishers', values.publishers, 0),
    requestTimeoutMs: number('--timeout', values.timeout, DEFAULT_REQUEST_TIMEOUT_MS),
    ...(values['publish-url'] === undefined ? {} : { publishUrl: values['publish-url'] }),
    ...(values.file === undefined ? {} : { file: resolve(cwd, values.file) }),
    ...(values.reconnect === true ? { reconnect: true } : {}),
  };
  return { options, ...(values.json === undefined ? {} : { json: values.json === '-' ? '-' : resolve(cwd, values.json) }) };
}

function parseFlags(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    strict: true,
    options: {
      url: { type: 'string' },
      viewers: { type: 'string' },
      duration: { type: 'string' },
      ramp: { type: 'string' },
      publishers: { type: 'string' },
      'publish-url': { type: 'string' },
      file: { type: 'string' },
      reconnect: { type: 'boolean' },
      timeout: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** The human summary: the request table, then one line per publisher. */
export function renderReport(report: LoadgenReport): string {
  const publishers = report.publishers.map(
    (p) => `publisher ${p.url}: ${p.tags} tags, ${(p.bytes / 1e6).toFixed(1)} MB, ${p.loops} loops, at most ${p.maxLateMs.toFixed(0)} ms late${p.reconnects > 0 ? `, ${p.reconnects} reconnects` : ''}${p.error === undefined ? '' : `, last error: ${p.error}`}`,
  );
  return [renderSummary(report), ...publishers].join('\n');
}

export async function runLoadgenCommand(args: readonly string[], cwd = process.cwd()): Promise<void> {
  const request = parseLoadgenArgs(args, cwd);
  if (request === 'help') {
    process.stdout.write(`${LOADGEN_HELP}\n`);
    return;
  }
  // Ctrl-C ends the run early and still prints what was measured.
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  try {
    const report = await runLoadgen({ ...request.options, signal: stop.signal });
    const json = `${JSON.stringify(report, null, 2)}\n`;
    if (request.json === '-') process.stdout.write(json);
    else {
      process.stdout.write(`${renderReport(report)}\n`);
      if (request.json !== undefined) await writeFile(request.json, json);
    }
  } finally {
    process.off('SIGINT', onSignal);
  }
}
