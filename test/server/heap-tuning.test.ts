import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT_RANGE, tuneHeapGrowing } from '../../src/server/index.js';

const MODULE = new URL('../../src/server/heap-tuning.ts', import.meta.url).href;

/**
 * The growing factors V8 used for the old generation's limit in a fresh process that calls
 * tuneHeapGrowing(percent) first (or not) and then makes the heap grow: V8 prints each new limit
 * with its factor under --trace-gc-verbose ("Limit: old size: … new limit: … (4.0)").
 */
function limitFactors(percent: number | undefined): number[] {
  const script = `
    const { tuneHeapGrowing } = await import(${JSON.stringify(MODULE)});
    if (${percent === undefined ? 'false' : 'true'}) tuneHeapGrowing(${percent ?? 0});
    const objects = [];
    for (let i = 0; i < 1_500_000; i++) objects.push({ i });
    for (let i = 0; i < 3_000_000; i++) objects[i % objects.length] = { i };
  `;
  const out = execFileSync(process.execPath, ['--trace-gc-verbose', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return [...out.matchAll(/\[HeapController\] Limit: old size: \d+ KB, new limit: \d+ KB \(([\d.]+)\)/g)].map((m) => Number(m[1]));
}

describe('tuneHeapGrowing', () => {
  it('sets the factor of every old-generation limit V8 computes after it: 1 + percent / 100', () => {
    const four = limitFactors(300);
    expect(four.length).toBeGreaterThan(0);
    expect(new Set(four)).toEqual(new Set([4]));
    const two = limitFactors(100);
    expect(two.length).toBeGreaterThan(0);
    expect(new Set(two)).toEqual(new Set([2]));
    // 0 is V8's own, dynamic factor, as without the call.
    expect(limitFactors(0).length).toBeGreaterThan(0);
  }, 60_000);

  it('refuses a percent outside 0–1000 or not an integer', () => {
    expect(HEAP_GROWING_PERCENT_RANGE).toEqual({ integer: true, min: 0, max: 1000 });
    for (const bad of [-1, 1001, 2.5, Number.NaN]) expect(() => tuneHeapGrowing(bad)).toThrow(/heapGrowingPercent must be an integer from 0 to 1000/);
  });
});
