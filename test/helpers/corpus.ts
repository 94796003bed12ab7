import { readdirSync, readFileSync, statSync } from 'node:fs';
import { defaultReportMessage, type Parameters as FcParameters } from 'fast-check';
import { expect } from 'vitest';
import type { ErrorCode, TidecastError } from '../../src/errors/index.js';
import { fixturePath } from './ffmpeg.js';

/**
 * Replaying the committed fuzz corpora of fixtures/corpus/<parser>/ (README.md there says how
 * files are named and added). Each property/fuzz test lists its parser's directory, runs the parser
 * on every file and requires a value or the module's typed error, quickly; files whose outcome is
 * known (every `valid-` sample, and the seeds whose error code is pinned) are checked against a
 * table in the test, so a replay fails when a parser starts to decode differently.
 */

/** Largest corpus file, in bytes: a finding is minimised before it is saved, a sample cut short. */
export const CORPUS_MAX_FILE_BYTES = 64 * 1024;

/**
 * Slowest acceptable replay of one file by one parser, in ms. Every parser here is linear in its
 * input and the largest file is 64 KiB (well under 5 ms on a laptop); 250 ms is what the older
 * fuzz properties allow a single decode, slack for a loaded CI machine, and still catches a
 * quadratic loop or a hang.
 */
export const CORPUS_REPLAY_BUDGET_MS = 250;

export interface CorpusFile {
  /** The file name, `<short-description>.bin`. */
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** The files of fixtures/corpus/<parser>/, in name order. Fails on an empty directory or an oversized file. */
export function* corpusFiles(parser: string): Generator<CorpusFile> {
  const dir = fixturePath(`corpus/${parser}`);
  const names = readdirSync(dir).filter((name) => name.endsWith('.bin')).sort();
  if (names.length === 0) throw new Error(`fixtures/corpus/${parser}/ holds no .bin file`);
  for (const name of names) {
    const path = `${dir}/${name}`;
    const size = statSync(path).size;
    if (size > CORPUS_MAX_FILE_BYTES) throw new Error(`fixtures/corpus/${parser}/${name} is ${size} bytes, above ${CORPUS_MAX_FILE_BYTES}`);
    yield { name, bytes: new Uint8Array(readFileSync(path)) };
  }
}

/** `corpusFiles` as an array, for `it.each`. */
export function corpus(parser: string): CorpusFile[] {
  return [...corpusFiles(parser)];
}

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: TidecastError };

/** What a file must give: the code of the typed error, or a check of the returned value. */
export type Expected<T> = ErrorCode | ((value: T) => void);

type ErrorClass = abstract new (...args: never[]) => TidecastError;

/**
 * Runs `parse` on a file's bytes: its value, or the `errorClass` error it threw. Anything else
 * thrown (a RangeError, a TypeError, another module's error) is rethrown, and so is a run slower
 * than CORPUS_REPLAY_BUDGET_MS.
 */
export function replay<T>(file: CorpusFile, errorClass: ErrorClass, parse: (bytes: Uint8Array) => T): Outcome<T> {
  const started = performance.now();
  let outcome: Outcome<T>;
  try {
    outcome = { ok: true, value: parse(file.bytes) };
  } catch (err) {
    if (!(err instanceof errorClass)) throw err;
    outcome = { ok: false, error: err };
  }
  const elapsedMs = performance.now() - started;
  if (elapsedMs > CORPUS_REPLAY_BUDGET_MS) throw new Error(`${file.name} took ${elapsedMs.toFixed(0)} ms, above ${CORPUS_REPLAY_BUDGET_MS}`);
  return outcome;
}

/** Checks an outcome against its expectation; with none, any value or typed error will do. */
export function expectOutcome<T>(outcome: Outcome<T>, expected: Expected<T> | undefined): void {
  if (expected === undefined) return;
  if (typeof expected === 'string') {
    expect(outcome.ok ? 'a value' : outcome.error.code).toBe(expected);
    return;
  }
  if (!outcome.ok) throw new Error(`expected a value, got ${outcome.error.code}: ${outcome.error.message}`);
  expected(outcome.value);
}

/**
 * The expectation table of a corpus must name a file that exists, and every `valid-` sample must
 * be in it: a valid sample whose value nobody checks could decode to anything.
 */
export function expectTableMatchesCorpus(files: readonly CorpusFile[], table: Readonly<Record<string, unknown>>): void {
  const names = new Set(files.map((f) => f.name));
  expect(Object.keys(table).filter((name) => !names.has(name)), 'expectations without a file').toEqual([]);
  expect(files.filter((f) => f.name.startsWith('valid-') && !(f.name in table)).map((f) => f.name), 'valid samples without an expectation').toEqual([]);
}

/**
 * fast-check parameters whose failure report ends with how to keep the counterexample as a corpus
 * file of `parser`. Tests never write files themselves: the person fixing the bug saves it.
 */
export function withCorpusHint<T>(parser: string, params: FcParameters<T> = {}): FcParameters<T> {
  return {
    ...params,
    reporter: (details) => {
      if (!details.failed) return;
      const bytes = (details.counterexample ?? []) as unknown[];
      const hexArgs = bytes.flatMap((arg, i) => (arg instanceof Uint8Array ? [`  argument ${i} as hex: ${Buffer.from(arg).toString('hex')}`] : []));
      const hint = [
        '',
        `To keep this finding: save the bytes the parser received (rebuild them from the counterexample above) as`,
        `fixtures/corpus/${parser}/<short-description>.bin, commit it with the fix, and pin its outcome in the test's`,
        `corpus table (fixtures/corpus/README.md). For example:`,
        `  node -e "require('fs').writeFileSync('fixtures/corpus/${parser}/finding-<what>.bin', Buffer.from('<hex>', 'hex'))"`,
        ...hexArgs,
      ].join('\n');
      throw new Error(`${defaultReportMessage(details) ?? 'property failed'}${hint}`, { cause: details.errorInstance });
    },
  };
}
