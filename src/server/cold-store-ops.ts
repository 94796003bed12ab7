import type { MaybePromise, SegmentStore, StoredFile } from '../store/index.js';

/** A delete or retire waiting for the end of the turn. */
interface ColdOp {
  readonly run: () => MaybePromise<void>;
  readonly onError: (error: unknown) => void;
}

/**
 * The packagers' deletes and retires, run together after the current turn of the event loop.
 *
 * Streams whose encoders started together reach their keyframes in the same few milliseconds, and
 * the server handles them one after another on one thread: each closes a segment, lists it, and
 * then deletes what left its window and retires what cooled (a segment and, with LL-HLS, its ten
 * parts, per rendition: some forty store calls per stream). Nothing of that is needed to list the
 * new segment, yet done in place it delays every stream behind it in the burst (a fifth of a
 * keyframe burst's time at 32 streams, measured). Here it waits for setImmediate: the listings go
 * first, the cleanup follows in the same millisecond, and a file is deleted one turn later than it
 * would have been (RFC 8216bis 6.2.2 asks for longer anyway).
 *
 * A put of a path with a delete or retire still waiting cancels it: the new file must stay, and
 * stay hot. Failures go to each store's `onError`, as the packager's own writes do.
 */
export class ColdStoreOps {
  readonly #pending = new Map<string, ColdOp>();
  #scheduled: NodeJS.Immediate | undefined;
  #running: Promise<void> | undefined;

  /**
   * `store` with its delete and retire deferred; put, get and list pass through. `key` tells the
   * paths of different wrapped stores apart (their prefix in the shared store).
   */
  wrap(store: SegmentStore, key: string, onError: (error: unknown) => void): SegmentStore {
    const at = (path: string): string => `${key}\u0000${path}`;
    return {
      put: (path: string, file: StoredFile): MaybePromise<void> => {
        this.#pending.delete(at(path));
        return store.put(path, file);
      },
      get: (path: string) => store.get(path),
      list: (prefix?: string) => store.list(prefix),
      delete: (path: string): void => this.#defer(at(path), { run: () => store.delete(path), onError }),
      retire: (path: string, container?: string): void => this.#defer(at(path), { run: () => store.retire?.(path, container), onError }),
    };
  }

  /** Runs every deferred call now and resolves when they have finished (a closing server). */
  async flush(): Promise<void> {
    clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#run();
    while (this.#running !== undefined) await this.#running;
  }

  #defer(id: string, op: ColdOp): void {
    // A second call for the same path (a retire, then its delete) keeps the first one's place and runs as the last one asked.
    this.#pending.set(id, op);
    this.#scheduled ??= setImmediate(() => {
      this.#scheduled = undefined;
      this.#run();
    });
  }

  /** Runs what waits, in the order asked: a synchronous store's calls at once, an asynchronous one's one after another. */
  #run(): void {
    if (this.#pending.size === 0) return;
    const ops = [...this.#pending.values()];
    this.#pending.clear();
    const previous = this.#running;
    if (previous !== undefined) this.#track(previous.then(() => this.#runFrom(ops, 0)));
    else {
      const rest = this.#runFrom(ops, 0);
      if (rest !== undefined) this.#track(rest);
    }
  }

  /** Runs `ops` from `i` until one returns a promise, then the rest once it settles. */
  #runFrom(ops: readonly ColdOp[], i: number): Promise<void> | undefined {
    for (; i < ops.length; i++) {
      const op = ops[i]!;
      let result: MaybePromise<void>;
      try {
        result = op.run();
      } catch (error) {
        op.onError(error);
        continue;
      }
      if (result !== undefined) {
        const next = i + 1;
        return Promise.resolve(result)
          .then(undefined, (error: unknown) => op.onError(error))
          .then(() => this.#runFrom(ops, next));
      }
    }
    return undefined;
  }

  #track(work: Promise<void>): void {
    const running = work.finally(() => {
      if (this.#running === running) this.#running = undefined;
    });
    this.#running = running;
  }
}
