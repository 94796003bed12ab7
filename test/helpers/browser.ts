import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/**
 * Debian's Chromium for the browser tests (test/browser), driven by playwright-core: where it is,
 * the flags the brief prescribes for headless runs, why a test skips, and a throwaway profile.
 */

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Why a browser test cannot run here, or undefined when it can. */
export function browserSkipReason(ffmpeg: string | undefined): string | undefined {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is absent (.ci/run installs Debian's chromium)`;
  return ffmpeg === undefined ? 'ffmpeg not found' : undefined;
}

export interface ChromiumSession {
  readonly context: BrowserContext;
  /** Closes the browser and deletes its profile. */
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile in a temporary directory. */
export async function launchChromium(): Promise<ChromiumSession> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'tidecast-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  return {
    context,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
