import { ClientSession, ServerSession, type SessionOptions } from '../../../src/rtmp/session/index.js';
import { FakeTransport } from './fake-transport.js';

/**
 * A client and a server session joined in memory. Bytes move only when `pump()` runs, so no
 * session is re-entered while it handles a message (as with real sockets).
 */
export function sessionPair(
  serverOptions: Partial<SessionOptions> = {},
  clientOptions: Partial<SessionOptions> & { complexHandshake?: boolean } = {},
): { server: ServerSession; client: ClientSession; st: FakeTransport; ct: FakeTransport; pump: () => void } {
  const st = new FakeTransport();
  const ct = new FakeTransport();
  const server = new ServerSession(st, serverOptions);
  const client = new ClientSession(ct, clientOptions);
  let sDelivered = 0;
  let cDelivered = 0;
  const pump = (): void => {
    for (let moved = true; moved; ) {
      moved = false;
      while (!ct.paused && cDelivered < ct.written.length && !server.closed) {
        // The server reads what the client wrote unless the server paused its own socket.
        if (st.paused) break;
        server.receive(ct.written[cDelivered++]!);
        moved = true;
      }
      while (sDelivered < st.written.length && !client.closed) {
        client.receive(st.written[sDelivered++]!);
        moved = true;
      }
    }
  };
  client.start();
  pump();
  return { server, client, st, ct, pump };
}

/** Lets pending promise callbacks run (async publish checks). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
