import type { Transport } from '../../../src/rtmp/session/index.js';

/** A Transport that records what a session writes; `pendingBytes` is settable to simulate a slow socket. */
export class FakeTransport implements Transport {
  readonly written: Uint8Array[] = [];
  pendingBytes = 0;
  paused = false;
  ended = false;
  destroyed = false;

  write(bytes: Uint8Array): void {
    this.written.push(bytes);
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  /** Everything written so far, as one buffer. */
  bytes(): Buffer {
    return Buffer.concat(this.written);
  }
}
