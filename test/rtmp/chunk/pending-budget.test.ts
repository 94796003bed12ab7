import { describe, expect, it } from 'vitest';
import type { RtmpError } from '../../../src/errors/index.js';
import { ChunkReader, PendingBudget } from '../../../src/rtmp/index.js';

function account(budget: PendingBudget, evicted: RtmpError[] = []) {
  return budget.account((e) => evicted.push(e));
}

function code(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (err) {
    return (err as RtmpError).code;
  }
}

describe('PendingBudget: incomplete messages of all sessions', () => {
  it('reserves and releases; the total follows', () => {
    const budget = new PendingBudget(1000);
    const a = account(budget);
    const b = account(budget);
    a.reserve(300);
    b.reserve(400);
    expect(budget.totalBytes).toBe(700);
    a.release(300);
    expect(budget.totalBytes).toBe(400);
    expect(a.heldBytes).toBe(0);
    b.close();
    expect(budget.totalBytes).toBe(0);
  });

  it('over the budget, a session past its fair share is refused (ERR_RTMP_PENDING_BUDGET) and nothing changes', () => {
    const budget = new PendingBudget(1000);
    const a = account(budget);
    const b = account(budget);
    a.reserve(600);
    b.reserve(300);
    // b would hold 600 > share 500 (1000 / 2 holders).
    expect(code(() => b.reserve(300))).toBe('ERR_RTMP_PENDING_BUDGET');
    expect(budget.totalBytes).toBe(900);
    expect(a.heldBytes).toBe(600);
  });

  it('over the budget, a session within its share makes room: the largest holders are closed, the total stays within the budget', () => {
    const budget = new PendingBudget(1000);
    const evictedA: RtmpError[] = [];
    const a = account(budget, evictedA);
    const b = account(budget);
    const honest = account(budget);
    a.reserve(700);
    b.reserve(250);
    honest.reserve(100); // 1050 > 1000; share 333; honest holds 100 → a (the largest) goes
    expect(evictedA.map((e) => e.code)).toEqual(['ERR_RTMP_PENDING_BUDGET']);
    expect(a.heldBytes).toBe(0);
    expect(budget.totalBytes).toBe(350);
    expect(code(() => a.reserve(1))).toBe('ERR_RTMP_PENDING_BUDGET');
  });

  it('a chunk reader reserves a message before allocating it and releases it when complete or aborted', () => {
    const budget = new PendingBudget(1000);
    const reader = new ChunkReader({}, account(budget));
    // type 0 header, csid 3, length 300, type 9, stream 1; then one 128-byte chunk.
    const header = Uint8Array.from([3, 0, 0, 0, 0, 1, 44, 9, 1, 0, 0, 0]);
    reader.push(header);
    reader.push(new Uint8Array(128));
    expect(reader.read()).toBeNull();
    expect(budget.totalBytes).toBe(300);
    reader.push(Uint8Array.from([0xc3]));
    reader.push(new Uint8Array(128));
    reader.push(Uint8Array.from([0xc3]));
    reader.push(new Uint8Array(44));
    expect(reader.read()?.payload.length).toBe(300);
    expect(budget.totalBytes).toBe(0);
  });

  it('a reader whose message would break the budget past its share fails with ERR_RTMP_PENDING_BUDGET before allocating', () => {
    const budget = new PendingBudget(1000);
    const other = account(budget);
    other.reserve(900);
    const reader = new ChunkReader({}, account(budget));
    reader.push(Uint8Array.from([3, 0, 0, 0, 0, 2, 88, 9, 1, 0, 0, 0])); // 600 bytes declared
    reader.push(new Uint8Array(128));
    expect(code(() => reader.read())).toBe('ERR_RTMP_PENDING_BUDGET');
    expect(budget.totalBytes).toBe(900);
  });
});

describe('message bodies grow with what arrives', () => {
  function type0(csid: number, length: number): Uint8Array {
    return Uint8Array.from([csid, 0, 0, 0, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff, 9, 1, 0, 0, 0]);
  }

  it('a declared 8 MiB with one 128-byte chunk sent holds 64 KiB, not 8 MiB (the budget still counts the declared length)', () => {
    const budget = new PendingBudget(512 * 1024 * 1024);
    const readers = Array.from({ length: 32 }, () => new ChunkReader({}, account(budget)));
    const before = process.memoryUsage().arrayBuffers;
    for (const reader of readers) {
      reader.push(type0(3, 8 * 1024 * 1024 - 1));
      reader.push(new Uint8Array(128));
      expect(reader.read()).toBeNull();
    }
    // 32 × 8 MiB declared would be 256 MiB allocated at the declared length.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 128 * 1024);
    expect(budget.totalBytes).toBe(32 * (8 * 1024 * 1024 - 1));
  });

  it('a 300 000-byte message in 4096-byte chunks comes out whole and exact', () => {
    const reader = new ChunkReader();
    const length = 300_000;
    const body = Uint8Array.from({ length }, (_, i) => (i * 7919) & 0xff);
    reader.push(Uint8Array.from([2, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 16, 0])); // Set Chunk Size 4096
    expect(reader.read()?.typeId).toBe(1);
    reader.push(type0(3, length));
    for (let at = 0; at < length; at += 4096) {
      if (at > 0) reader.push(Uint8Array.from([0xc3]));
      reader.push(body.subarray(at, Math.min(length, at + 4096)));
    }
    const m = reader.read();
    expect(m?.payload.length).toBe(length);
    expect(Buffer.from(m!.payload).equals(Buffer.from(body))).toBe(true);
  });
});
