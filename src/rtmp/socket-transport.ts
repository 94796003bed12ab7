import type { Socket } from 'node:net';
import type { Transport } from './session/index.js';

/** Adapts a net or tls socket to a session's Transport. */
export function socketTransport(socket: Socket): Transport {
  return {
    write: (bytes) => {
      if (!socket.destroyed) socket.write(bytes);
    },
    get pendingBytes() {
      return socket.writableLength;
    },
    onDrain: (callback) => {
      if (socket.writableLength === 0 || socket.destroyed) queueMicrotask(callback);
      else socket.once('drain', callback);
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    end: () => {
      socket.end();
      // A peer that never closes its side must not keep the socket open for ever.
      setTimeout(() => socket.destroy(), 2000).unref();
    },
    destroy: () => socket.destroy(),
  };
}
