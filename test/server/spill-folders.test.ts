import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServerStore, removeDeadSpillDirs } from '../../src/server/store-taps.js';

/*
 * The default store's spill folder is named after its server's pid, and a server removes, as it
 * starts, the spill folders of servers that died without their close() (kill -9: a crash-restart
 * loop would otherwise fill the disk with windows of segments), never a live one's.
 */

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A pid that was in use a moment ago and is not any more: a child that exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('spill folders of dead servers', () => {
  it('removes the folders of dead pids, keeps live ones and anything else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spill-test-'));
    dirs.push(dir);
    const dead = await deadPid();
    const make = (name: string): string => {
      const path = join(dir, name);
      mkdirSync(path);
      writeFileSync(join(path, 'video-0.m4s'), 'x');
      return path;
    };
    const gone = make(`tidecast-spill-${dead}-abc123`);
    const mine = make(`tidecast-spill-${process.pid}-def456`);
    const other = make('tidecast-spill-notapid');
    const unrelated = make(`something-${dead}-abc123`);
    expect(removeDeadSpillDirs(dir)).toBe(1);
    expect(existsSync(gone)).toBe(false);
    expect([mine, other, unrelated].map(existsSync)).toEqual([true, true, true]);
  });

  it('a server store names its spill folder after its pid, and removes it on dispose', async () => {
    const ours = (): string[] => readdirSync(tmpdir()).filter((name) => new RegExp(`^tidecast-spill-${process.pid}-[A-Za-z0-9]{6}$`).test(name));
    const before = new Set(ours());
    const store = createServerStore({});
    const added = ours().filter((name) => !before.has(name));
    expect(added).toHaveLength(1);
    await store.dispose();
    expect(existsSync(join(tmpdir(), added[0]!))).toBe(false);
  });
});
