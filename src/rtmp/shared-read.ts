import net, { type Socket } from 'node:net';

/**
 * Reading accepted sockets into one buffer the server owns, instead of a new buffer per read.
 *
 * By default Node allocates each socket read (up to 64 KiB), copies it into an ArrayBuffer of
 * the size read, and pushes that through the socket's Readable stream. A live server's ingest is
 * nearly all such reads (a 6 Mb/s publisher is about 750 KB/s), and those ArrayBuffers, dead
 * after the chunk reader has copied the messages out, make about half of the process's external
 * memory turnover — which V8 counts toward its next full collection.
 *
 * Node has the mechanism for reading into a caller's buffer: `net.connect({ onread: { buffer,
 * callback } })` (the kernel writes into `buffer`; `callback(bytesRead, buffer)` runs before the next
 * read; it returns false to pause). A server's sockets are made by Node, without that option, so
 * this applies the same mechanism to an accepted socket: the socket's two onread fields (found by
 * their symbols' descriptions on a socket made with the option) and its handle's `useUserBuffer`.
 * They have been there unchanged since Node 12.
 * Where they are not found (another runtime, a future Node), `readIntoShared` returns false and
 * the caller reads 'data' events as before. TLS sockets decrypt in Node's TLS layer: not for them.
 *
 * One buffer serves every socket of a server: each read is handed to `receive` and consumed (or
 * copied) before the event loop makes the next read, whichever socket it is on.
 */

interface OnreadFields {
  readonly buffer: symbol;
  readonly callback: symbol;
}

let fields: OnreadFields | null | undefined;

/** The onread fields of this Node's sockets, or null where a socket made with `onread` does not show them. */
function onreadFields(): OnreadFields | null {
  if (fields !== undefined) return fields;
  const probe = new net.Socket({ onread: { buffer: new Uint8Array(1), callback: () => true } } as net.SocketConstructorOpts);
  const symbols = Object.getOwnPropertySymbols(probe);
  const buffer = symbols.find((s) => s.description === 'kBuffer');
  const callback = symbols.find((s) => s.description === 'kBufferCb');
  const record = probe as unknown as Record<symbol, unknown>;
  fields = buffer !== undefined && callback !== undefined && record[buffer] instanceof Uint8Array && typeof record[callback] === 'function' ? { buffer, callback } : null;
  probe.destroy();
  return fields;
}

/** The bytes a shared-buffer read is handed: valid until `receive` returns. */
export type SharedReadReceiver = (bytes: Uint8Array) => void;

/**
 * Makes the accepted plain-TCP `socket` read into `buffer` and hand each read to `receive`, which
 * must keep no view of the bytes after it returns. The socket pauses (no further reads) while
 * `socket.isPaused()`, as with 'data'. Returns false, having changed nothing, where this Node does
 * not offer the mechanism; the caller then listens to 'data'.
 */
export function readIntoShared(socket: Socket, buffer: Uint8Array, receive: SharedReadReceiver): boolean {
  const f = onreadFields();
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: (b: Uint8Array) => void } })._handle;
  if (f === null || handle === undefined || typeof handle.useUserBuffer !== 'function') return false;
  const record = socket as unknown as Record<symbol, unknown>;
  record[f.buffer] = buffer;
  record[f.callback] = (bytesRead: number): boolean => {
    receive(buffer.subarray(0, bytesRead));
    return !socket.isPaused();
  };
  handle.useUserBuffer(buffer);
  return true;
}

/** Size of a server's shared read buffer: Node's own read size. */
export const SHARED_READ_BYTES = 64 * 1024;
