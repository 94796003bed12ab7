import { delay } from './process.js';

/**
 * The TS output (src/server/ts-output.ts) for real-player tests: a player that joins a running
 * output. The first `ts.m3u8` request starts the output and is answered with its first segment
 * alone, so a player that makes it starts at the live edge (RFC 8216 6.3.3 asks for three target
 * durations from the end) and waits at each segment boundary; a player joining an output someone
 * already reads finds the window filling and starts where it should.
 */

/** Players reload the playlist every target; the output stops after three unread targets (TS_IDLE_SEGMENTS). */
const WARM_POLL_MS = 1000;

/** Reads `playlistUrl` every second until it lists `segments` TS segments; rejects after `timeoutMs`. */
export async function warmTsOutput(playlistUrl: string, segments: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(playlistUrl);
    const text = res.status === 200 ? await res.text() : (await res.arrayBuffer(), '');
    if ((text.match(/^ts\/\d+\.ts$/gm) ?? []).length >= segments) return;
    if (Date.now() > deadline) throw new Error(`${playlistUrl} did not list ${segments} segments within ${timeoutMs} ms: ${res.status} ${text}`);
    await delay(WARM_POLL_MS);
  }
}

