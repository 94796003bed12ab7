/**
 * One recording's steps (recorder-recording.ts), run one after another, bounded by the bytes they
 * hold until they have run: the pieces of a part or a segment stay referenced until written, so a
 * disk that stalls would otherwise grow memory with every part. Past `maxBytes` a step is refused,
 * and the recording fails instead.
 */
export class WriteQueue {
  readonly #maxBytes: number;
  #tail: Promise<void> = Promise.resolve();
  #queuedBytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** The last step queued: it settles after every step before it. */
  get tail(): Promise<void> {
    return this.#tail;
  }

  /** Bytes held by the steps waiting or running. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /**
   * Queues `step`, which holds `bytes` until it has run; false, with nothing queued, when that would
   * pass maxBytes. When its turn comes it runs unless `skip()` says otherwise (a failed recording
   * skips its media steps) or it is `always` (the closing step). A step's error goes to `failed`,
   * except an `always` step's, which rejects the tail.
   */
  push(bytes: number, step: () => Promise<void>, options: { always: boolean; skip: () => boolean; failed: (error: unknown) => void }): boolean {
    if (this.#queuedBytes + bytes > this.#maxBytes) return false;
    this.#queuedBytes += bytes;
    const run = async (): Promise<void> => {
      try {
        if (options.always || !options.skip()) await step();
      } catch (error) {
        if (options.always) throw error;
        options.failed(error);
      } finally {
        this.#queuedBytes -= bytes;
      }
    };
    this.#tail = this.#tail.then(run, run);
    return true;
  }

  /** Resolves when the queue is empty: every step queued so far, and the ones they queued, have run. */
  async idle(): Promise<void> {
    for (let tail = this.#tail; ; tail = this.#tail) {
      await tail.catch(() => undefined);
      if (tail === this.#tail) return;
    }
  }
}
