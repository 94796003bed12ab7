/**
 * Connection slots counted in all and per peer address: the one rule behind RTMP's and HTTP's
 * maxConnections / maxConnectionsPerAddress. Pure bookkeeping: the servers take a slot at accept,
 * close the socket when refused, and give the slot back when the connection closes.
 */
export class ConnectionSlots {
  readonly maxConnections: number;
  readonly maxPerAddress: number;
  readonly #perAddress = new Map<string, number>();
  #open = 0;

  constructor(maxConnections: number, maxPerAddress: number) {
    this.maxConnections = maxConnections;
    this.maxPerAddress = maxPerAddress;
  }

  /** Slots taken now. */
  get open(): number {
    return this.#open;
  }

  /** Slots `address` holds now. */
  heldBy(address: string): number {
    return this.#perAddress.get(address) ?? 0;
  }

  /** Takes a slot for `address`, or says which limit refuses it ('total' first). */
  take(address: string): 'total' | 'address' | undefined {
    if (this.#open >= this.maxConnections) return 'total';
    const held = this.heldBy(address);
    if (held >= this.maxPerAddress) return 'address';
    this.#open += 1;
    this.#perAddress.set(address, held + 1);
    return undefined;
  }

  /** Gives back a slot `take` granted. */
  release(address: string): void {
    const left = this.heldBy(address) - 1;
    this.#open -= 1;
    if (left > 0) this.#perAddress.set(address, left);
    else this.#perAddress.delete(address);
  }
}
