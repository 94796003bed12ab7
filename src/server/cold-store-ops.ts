import type { MaybePromise, SegmentStore, StoredFile } from '../store/index.js';

/** A delete or retire waiting for the end of the turn; `container` for a retire. */
interface ColdOp {
  readonly retire: boolean;
  readonly container: string | undefined;
}

/** One wrapped store's calls waiting, by path, in the order first asked. */
interface Waiting {
  readonly store: SegmentStore;
  readonly onError: (error: unknown) => void;
  readonly ops: Map<string, ColdOp>;
}

/** A call to run: its store, path and kind. */
interface Queued {
  readonly waiting: Waiting;
  readonly path: string;
  readonly op: ColdOp;
}

const DELETE: ColdOp = { retire: false, container: undefined };
const RETIRE: ColdOp = { retire: true, container: undefined };

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
 * would have been (these are files past the time RFC 8216bis 6.2.2 keeps them for).
 *
 * A put of a path with a delete or retire still waiting cancels it: the new file must stay, and
 * stay hot. Failures go to each store's `onError`, as the packager's own writes do.
 */
export class ColdStoreOps {
  /** Wrapped stores with calls waiting, in the order their first call came. */
  readonly #dirty = new Set<Waiting>();
  #scheduled: NodeJS.Immediate | undefined;
  #running: Promise<void> | undefined;

  /** `store` with its delete and retire deferred; put, get and list pass through. */
  wrap(store: SegmentStore, onError: (error: unknown) => void): SegmentStore {
    const waiting: Waiting = { store, onError, ops: new Map() };
    return {
      put: (path: string, file: StoredFile): MaybePromise<void> => {
        waiting.ops.delete(path);
        return store.put(path, file);
      },
      get: (path: string) => store.get(path),
      list: (prefix?: string) => store.list(prefix),
      delete: (path: string): void => this.#defer(waiting, path, DELETE),
      retire: (path: string, container?: string): void => this.#defer(waiting, path, container === undefined ? RETIRE : { retire: true, container }),
    };
  }

  /** Runs every deferred call now and resolves when they have finished (a closing server). */
  async flush(): Promise<void> {
    clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#run();
    while (this.#running !== undefined) await this.#running;
  }

  #defer(waiting: Waiting, path: string, op: ColdOp): void {
    // A second call for the same path (a retire, then its delete) keeps the first one's place and runs as the last one asked.
    waiting.ops.set(path, op);
    this.#dirty.add(waiting);
    this.#scheduled ??= setImmediate(() => {
      this.#scheduled = undefined;
      this.#run();
    });
  }

  /** Runs what waits, in the order asked: a synchronous store's calls at once, an asynchronous one's one after another. */
  #run(): void {
    if (this.#dirty.size === 0) return;
    const queued: Queued[] = [];
    for (const waiting of this.#dirty) {
      for (const [path, op] of waiting.ops) queued.push({ waiting, path, op });
      waiting.ops.clear();
    }
    this.#dirty.clear();
    const previous = this.#running;
    if (previous !== undefined) this.#track(previous.then(() => this.#runFrom(queued, 0)));
    else {
      const rest = this.#runFrom(queued, 0);
      if (rest !== undefined) this.#track(rest);
    }
  }

  /** Runs `queued` from `i` until a call returns a promise, then the rest once it settles. */
  #runFrom(queued: readonly Queued[], i: number): Promise<void> | undefined {
    for (; i < queued.length; i++) {
      const { waiting, path, op } = queued[i]!;
      let result: MaybePromise<void>;
      try {
        result = op.retire ? waiting.store.retire?.(path, op.container) : waiting.store.delete(path);
      } catch (error) {
        report(waiting, error);
        continue;
      }
      if (result !== undefined) {
        const next = i + 1;
        return Promise.resolve(result)
          .then(undefined, (error: unknown) => report(waiting, error))
          .then(() => this.#runFrom(queued, next));
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

/**
 * Hands a failed call to its store's `onError`. Runs from setImmediate or a promise, where a throw
 * would end the process or be an unhandled rejection: an `onError` that throws itself is dropped,
 * and the calls after it still run.
 */
function report(waiting: Waiting, error: unknown): void {
  try {
    waiting.onError(error);
  } catch {
    // Nothing may leave the cleanup.
  }
}
