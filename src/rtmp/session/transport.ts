/**
 * What a session needs from its connection: the I/O edge. RtmpServer and RtmpClient adapt a
 * net/tls socket to it; tests adapt an array. Sessions never touch sockets or timers themselves.
 */
export interface Transport {
  write(bytes: Uint8Array): void;
  /** Bytes accepted by `write` and not yet handed to the kernel (socket.writableLength). */
  readonly pendingBytes: number;
  /** Stop delivering received bytes until `resume` (TCP flow control does the rest). */
  pause(): void;
  resume(): void;
  /**
   * Calls `callback` once, when everything written so far was handed to the kernel (a socket's
   * 'drain'). Optional: a transport without it never makes the session wait for the peer to read.
   */
  onDrain?(callback: () => void): void;
  /** Flush what was written, then close. */
  end(): void;
  /** Close at once, dropping what was not sent. */
  destroy(): void;
}
