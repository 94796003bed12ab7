import { describe, expect, it } from 'vitest';
import { isValidStreamName } from '../../src/config/index.js';
import { TranscodeError } from '../../src/errors/index.js';
import {
  JOB_STATES,
  JOB_TRANSITIONS,
  MAX_JOB_ERROR_CHARS,
  MAX_JOB_HISTORY,
  canTransition,
  jobShapeProblem,
  newJob,
  randomToken,
  resumeJob,
  transitionJob,
  withJobCrash,
  withJobError,
  type Job,
  type JobState,
} from '../../src/transcode/job-model.js';
import { parseJobRequest } from '../../src/transcode/job-spec.js';

/** The job state machine, every pair of states, and the pure changes around it. */

const SPEC = parseJobRequest({ ladder: 'default' });

/** The table, written out independently of JOB_TRANSITIONS. */
const LEGAL = new Set(['created→waiting', 'waiting→running', 'running→waiting', 'waiting→stopped', 'running→stopped', 'stopped→waiting', 'failed→waiting', 'running→failed', 'waiting→failed']);

function jobIn(state: JobState): Job {
  return { ...newJob({ id: 'job1', seq: 1, streamKey: 'key1', spec: SPEC, atMs: 1000 }), state };
}

describe('job state machine', () => {
  const pairs = JOB_STATES.flatMap((from) => JOB_STATES.map((to) => [from, to] as const));

  it('covers every pair of states', () => {
    expect(pairs).toHaveLength(25);
    expect(pairs.filter(([from, to]) => canTransition(from, to)).map(([from, to]) => `${from}→${to}`).sort()).toEqual([...LEGAL].sort());
  });

  it.each(pairs.filter(([from, to]) => LEGAL.has(`${from}→${to}`)))('%s → %s is legal', (from, to) => {
    const job = transitionJob(jobIn(from), to, 2000, 'because');
    expect(job).toMatchObject({ state: to, updatedAtMs: 2000, createdAtMs: 1000 });
    expect(job.history.at(-1)).toEqual({ state: to, atMs: 2000, reason: 'because' });
  });

  it.each(pairs.filter(([from, to]) => !LEGAL.has(`${from}→${to}`)))('%s → %s throws ERR_TRANSCODE_JOB_STATE', (from, to) => {
    const job = jobIn(from);
    let thrown: unknown;
    try {
      transitionJob(job, to, 2000);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(TranscodeError);
    expect(thrown).toMatchObject({ code: 'ERR_TRANSCODE_JOB_STATE', details: { id: 'job1', from, to } });
    expect((thrown as Error).message).toBe(`job job1 is ${from}: it cannot become ${to} (from ${from}: ${JOB_TRANSITIONS[from].join(', ')})`);
    expect(job.state).toBe(from);
  });
});

describe('job changes', () => {
  it('a new job is created, with one history entry and no crash', () => {
    expect(newJob({ id: 'a', seq: 3, streamKey: 'k', spec: SPEC, atMs: 5 })).toEqual({
      id: 'a',
      seq: 3,
      app: 'live',
      streamKey: 'k',
      spec: SPEC,
      state: 'created',
      createdAtMs: 5,
      updatedAtMs: 5,
      history: [{ state: 'created', atMs: 5 }],
      crashes: 0,
    });
  });

  it('keeps the latest MAX_JOB_HISTORY history entries', () => {
    let job = transitionJob(jobIn('created'), 'waiting', 1);
    for (let i = 0; i < 100; i++) job = transitionJob(job, i % 2 === 0 ? 'running' : 'waiting', 10 + i);
    expect(job.history).toHaveLength(MAX_JOB_HISTORY);
    expect(job.history.at(-1)).toEqual({ state: 'waiting', atMs: 109 });
    expect(job.history[0]).toEqual({ state: 'running', atMs: 110 - MAX_JOB_HISTORY });
  });

  it('clips long errors and reasons', () => {
    const long = 'x'.repeat(MAX_JOB_ERROR_CHARS * 3);
    expect(withJobError(jobIn('running'), long, 7).lastError!.message).toHaveLength(MAX_JOB_ERROR_CHARS);
    expect(transitionJob(jobIn('running'), 'failed', 7, long).history.at(-1)!.reason).toHaveLength(MAX_JOB_ERROR_CHARS);
  });

  it('a crash counts, keeps the error and the retry time; a resume clears them', () => {
    const once = withJobCrash(jobIn('running'), 'ffmpeg exited with 1', 10, 1010);
    const twice = withJobCrash(once, 'ffmpeg exited with 1', 20);
    expect(once).toMatchObject({ crashes: 1, retryAtMs: 1010, lastError: { message: 'ffmpeg exited with 1', atMs: 10 } });
    expect(twice.crashes).toBe(2);
    expect(twice).not.toHaveProperty('retryAtMs');
    const resumed = resumeJob(transitionJob(once, 'failed', 30), 40);
    expect(resumed).toMatchObject({ state: 'waiting', crashes: 0, lastError: { atMs: 10 } });
    expect(resumed).not.toHaveProperty('retryAtMs');
    // running → waiting is legal for the runtime (the publisher left), but it is not a resume.
    for (const state of ['created', 'waiting', 'running'] as const) {
      expect(() => resumeJob(jobIn(state), 50)).toThrow(expect.objectContaining({ code: 'ERR_TRANSCODE_JOB_STATE', details: { id: 'job1', from: state, to: 'waiting' } }));
    }
  });
});

describe('ids and stream keys', () => {
  it('are url-safe base64 of their bytes, and a key is a stream name', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => randomToken(24)));
    expect(keys.size).toBe(1000);
    for (const key of keys) {
      expect(key).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(isValidStreamName(key)).toBe(true);
    }
    expect(randomToken(12)).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });
});

describe('jobShapeProblem', () => {
  const job = transitionJob(jobIn('created'), 'waiting', 2);

  it.each<[string, unknown, string | undefined]>([
    ['a job', job, undefined],
    ['the same through JSON', JSON.parse(JSON.stringify(job)), undefined],
    ['null', null, 'is not an object'],
    ['an array', [job], 'is not an object'],
    ['no id', { ...job, id: undefined }, 'has no id string'],
    ['an empty stream key', { ...job, streamKey: '' }, 'has no streamKey string'],
    ['a seq as text', { ...job, seq: '1' }, 'has no seq number'],
    ['an unknown state', { ...job, state: 'paused' }, 'has state "paused", not one of created, waiting, running, stopped, failed'],
    ['no spec', { ...job, spec: null }, 'has no spec'],
    ['no history', { ...job, history: {} }, 'has no history list'],
  ])('%s', (_, value, problem) => {
    expect(jobShapeProblem(value)).toBe(problem);
  });
});
