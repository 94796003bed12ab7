import { describe, expect, it } from 'vitest';
import { ConnectionSlots } from '../../src/config/index.js';

describe('ConnectionSlots: in all and per address', () => {
  it('refuses past the per-address share, then past the total, and gives slots back', () => {
    const slots = new ConnectionSlots(3, 2);
    expect([slots.take('a'), slots.take('a'), slots.take('a')]).toEqual([undefined, undefined, 'address']);
    expect(slots.take('b')).toBeUndefined();
    expect(slots.take('c')).toBe('total');
    expect([slots.open, slots.heldBy('a'), slots.heldBy('b')]).toEqual([3, 2, 1]);
    slots.release('a');
    expect(slots.take('c')).toBeUndefined();
    slots.release('b');
    expect([slots.open, slots.heldBy('b')]).toEqual([2, 0]);
  });
});
