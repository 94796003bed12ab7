import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { RestartBackoff, type RestartBackoffOptions } from '../../src/transcode/restart-backoff.js';

/**
 * The respawn policy as timelines: each row is a list of crash times (ms, the clock passed in) and
 * the delays RestartBackoff answers. A process respawned at crash + delay, so "ran for" below is
 * the next crash minus that.
 */

function delays(crashTimesMs: readonly number[], options?: RestartBackoffOptions): number[] {
  const backoff = new RestartBackoff(options);
  return crashTimesMs.map((t) => backoff.crashed(t));
}

/** Crash times of a process that dies `ranMs` after each respawn, under the defaults. */
function crashLoop(count: number, ranMs: number, options?: RestartBackoffOptions): number[] {
  const backoff = new RestartBackoff(options);
  const out: number[] = [];
  let now = 1_000;
  for (let i = 0; i < count; i++) {
    const delay = backoff.crashed(now);
    out.push(delay);
    now += delay + ranMs;
  }
  return out;
}

describe('RestartBackoff: timelines', () => {
  it.each([
    ['a first crash respawns at once', [5_000], {}, [0]],
    ['a crash loop doubles from baseMs and stops at maxMs', 'loop', {}, [0, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]],
    ['crashes 30 s apart from the respawn are each a first crash', [0, 30_000, 60_000, 90_000], {}, [0, 0, 0, 0]],
    ['29.999 s of run keeps the streak', [0, 29_999, 30_499 + 29_999], {}, [0, 500, 1000]],
    ['initialMs delays even the first respawn', [0, 300, 900], { initialMs: 250 }, [250, 500, 1000]],
    ['baseMs and maxMs', 'loop', { baseMs: 100, maxMs: 700 }, [0, 100, 200, 400, 700, 700, 700, 700, 700, 700]],
    ['baseMs 0: every respawn at once', 'loop', { baseMs: 0, maxMs: 0 }, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
    ['a shorter resetAfterMs forgives sooner', [0, 5_000, 5_500 + 5_000], { resetAfterMs: 5_000 }, [0, 0, 0]],
  ] as const)('%s', (_name, crashes, options, expected) => {
    expect(crashes === 'loop' ? crashLoop(expected.length, 10, options) : delays(crashes, options)).toEqual(expected);
  });

  it('the streak is measured from the respawn: a process that waited maxMs and died at once is still in it', () => {
    // Crash-to-crash, the 8th crash comes 30.01 s after the 7th and would restart the streak at 0.
    const loop = crashLoop(12, 10);
    expect(loop.slice(7)).toEqual([30000, 30000, 30000, 30000, 30000]);
  });

  it('a long streak stays a number', () => {
    const backoff = new RestartBackoff({ baseMs: 0, maxMs: 10 });
    for (let i = 0; i < 3000; i++) backoff.crashed(i);
    expect(backoff.nextDelayMs).toBe(0);
    const big = new RestartBackoff();
    for (let i = 0; i < 3000; i++) big.crashed(i);
    expect(big.nextDelayMs).toBe(30000);
  });
});

describe('RestartBackoff: crashes, nextDelayMs, healthy, reset', () => {
  it('counts the streak and tells the next delay', () => {
    const backoff = new RestartBackoff();
    expect({ crashes: backoff.crashes, next: backoff.nextDelayMs }).toEqual({ crashes: 0, next: 0 });
    backoff.crashed(0);
    backoff.crashed(100);
    expect({ crashes: backoff.crashes, next: backoff.nextDelayMs }).toEqual({ crashes: 2, next: 1000 });
  });

  it('healthy() ends the streak once the process ran resetAfterMs since its respawn', () => {
    const backoff = new RestartBackoff();
    backoff.crashed(0);
    expect(backoff.crashed(1_000)).toBe(500); // respawned at 1 500
    expect(backoff.healthy(31_499)).toBe(false);
    expect(backoff.crashes).toBe(2);
    expect(backoff.healthy(31_500)).toBe(true);
    expect({ crashes: backoff.crashes, next: backoff.nextDelayMs }).toEqual({ crashes: 0, next: 0 });
    expect(backoff.healthy(100_000)).toBe(false);
  });

  it('reset() ends the streak at once', () => {
    const backoff = new RestartBackoff();
    backoff.crashed(0);
    backoff.crashed(10);
    backoff.reset();
    expect(backoff.crashed(20)).toBe(0);
    expect(backoff.crashes).toBe(1);
  });
});

describe('RestartBackoff: options', () => {
  it.each([
    [{ initialMs: -1 }, 'initialMs'],
    [{ baseMs: Number.NaN }, 'baseMs'],
    [{ maxMs: 100 }, 'maxMs'],
    [{ maxMs: 1000, initialMs: 2000 }, 'maxMs'],
    [{ resetAfterMs: 0 }, 'resetAfterMs'],
    [{ resetAfterMs: 86_400_001 }, 'resetAfterMs'],
  ] as const)('%o is refused, naming %s', (options, option) => {
    expect(() => new RestartBackoff(options)).toThrow(ConfigError);
    expect(() => new RestartBackoff(options)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID', details: expect.objectContaining({ option }) }));
  });
});
