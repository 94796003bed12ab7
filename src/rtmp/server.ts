import { EventEmitter } from 'eventemitter3';
import net, { type AddressInfo, type Socket } from 'node:net';
import tls from 'node:tls';
import { ConnectionSlots } from '../config/index.js';
import { RtmpError, type TidecastError } from '../errors/index.js';
import { PendingBudget } from './chunk/index.js';
import { resolveServerOptions, type ResolvedServerOptions, type RtmpServerOptions } from './server-options.js';
import {
  ServerSession,
  type ConnectInfo,
  type PlayRequest,
  type PlayerStream,
  type PublishRequest,
  type PublishedStream,
  type SessionOptions,
  type StreamRefusal,
} from './session/index.js';
import { inAddressRanges } from './proxy-address.js';
import { ProxyHeaderReader, clientEndpoint, type ProxyEndpoint, type ProxyHeader, type ProxyHeaderStep } from './proxy-protocol.js';
import { readIntoShared, SHARED_READ_BYTES } from './shared-read.js';
import { socketTransport } from './socket-transport.js';

export interface RtmpServerEvents {
  /** A TCP/TLS connection was accepted and its session created. */
  session: [session: ServerSession];
  connect: [session: ServerSession, info: ConnectInfo];
  /** A client asks to publish: `request.reject()` or `request.waitFor(promise)` to decide. */
  publish: [request: PublishRequest];
  /** A client asks to play: reject it (StreamNotFound) or let it through and feed the 'playing' player. */
  play: [request: PlayRequest];
  playing: [player: PlayerStream, request: PlayRequest];
  unpublish: [session: ServerSession, stream: PublishedStream];
  stop: [session: ServerSession, player: PlayerStream];
  /** A session was closed by an error (protocol violation, limit, timeout). The server goes on. */
  sessionError: [session: ServerSession, error: TidecastError];
  sessionClose: [session: ServerSession];
  /**
   * A connection was refused before it had a session: maxConnections, maxConnectionsPerAddress,
   * or with `proxyProtocol` an untrusted peer, a bad or late header (the address is the peer's,
   * or the client's when the header named one).
   */
  refused: [error: RtmpError, remoteAddress: string | undefined];
  /** A publish or play was refused: a name outside the name rule, or the embedder's reject. */
  refusedStream: [session: ServerSession, refusal: StreamRefusal];
}

/**
 * RTMP (and RTMPS) server: accepts connections, runs one ServerSession each, and forwards the
 * sessions' events. Each session's errors close that session only. With `proxyProtocol`, each
 * connection's PROXY header is read first (awaitProxyHeader) and the session opened after it.
 */
export class RtmpServer extends EventEmitter<RtmpServerEvents> {
  readonly settings: ResolvedServerOptions;
  private readonly sessionOptions: Partial<SessionOptions>;
  private readonly server: net.Server;
  private readonly live = new Set<ServerSession>();
  private readonly sockets = new Map<ServerSession, Socket>();
  /** Sessions in all and per remote address (maxConnections, maxConnectionsPerAddress). */
  private readonly slots: ConnectionSlots;
  /** Connections still reading their PROXY protocol header (`proxyProtocol`): no session yet. */
  private readonly awaitingHeader = new Set<Socket>();
  /** Incomplete incoming messages of all sessions (maxTotalPendingBytes). */
  readonly pendingBudget: PendingBudget;
  private nextId = 1;
  /** The buffer plain-TCP sockets read into (shared-read.ts); undefined with `sharedReadBuffer: false` or TLS. */
  private readonly readBuffer: Uint8Array | undefined;

  constructor(options: RtmpServerOptions = {}) {
    super();
    this.settings = resolveServerOptions(options);
    this.slots = new ConnectionSlots(this.settings.maxConnections, this.settings.maxConnectionsPerAddress);
    const { port: _p, host: _h, tls: tlsOptions, handshakeTimeoutMs: _t, idleTimeoutMs: _i, maxConnections: _m, maxConnectionsPerAddress: _a, noStreamTimeoutMs: _n, maxTotalPendingBytes: _b, sharedReadBuffer, proxyProtocol: _pp, proxyProtocolTrusted: _pt, proxyHeaderTimeoutMs: _ph, ...session } = options;
    this.pendingBudget = session.pendingBudget ?? new PendingBudget(this.settings.maxTotalPendingBytes);
    this.sessionOptions = { ...session, pendingBudget: this.pendingBudget };
    const onSocket = (socket: Socket): void => this.accept(socket);
    this.readBuffer = tlsOptions === undefined && sharedReadBuffer !== false ? Buffer.allocUnsafeSlow(SHARED_READ_BYTES) : undefined;
    this.server = tlsOptions ? tls.createServer({ cert: tlsOptions.cert, key: tlsOptions.key }, onSocket) : net.createServer(onSocket);
  }

  /** Open sessions. */
  get sessions(): ReadonlySet<ServerSession> {
    return this.live;
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.settings.port, this.settings.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.address();
  }

  address(): AddressInfo {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new RtmpError('ERR_RTMP_CONNECTION_CLOSED', 'server is not listening', {});
    return a;
  }

  /** Stops accepting, closes every session, resolves when the listening socket is closed. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const session of [...this.live]) session.close();
    for (const socket of this.sockets.values()) socket.destroy();
    for (const socket of this.awaitingHeader) socket.destroy();
    await closed;
  }

  private accept(socket: Socket): void {
    // Read before destroy(): a destroyed socket no longer knows its peer.
    const peer = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    socket.setNoDelay(true);
    let deliver: (bytes: Uint8Array, reused: boolean) => void;
    if (!this.settings.proxyProtocol) {
      const session = this.open(socket, peer, undefined);
      if (session === undefined) return;
      deliver = (bytes, reused) => session.receive(bytes, reused);
    } else {
      const onHeader = (header: ProxyHeader, rest: Uint8Array, reused: boolean): void => {
        const session = this.open(socket, clientEndpoint(header) ?? peer, { ...peer, header });
        if (session === undefined) return;
        deliver = (bytes, more) => session.receive(bytes, more);
        if (rest.length > 0) session.receive(rest, reused);
      };
      const reader = this.awaitProxyHeader(socket, peer.address, onHeader);
      if (reader === undefined) return;
      deliver = reader;
    }
    // The session keeps no view of a shared read (receive's `reused`): what it has not read yet is copied.
    const shared = this.readBuffer !== undefined && readIntoShared(socket, this.readBuffer, (bytes) => deliver(bytes, true));
    if (!shared) socket.on('data', (bytes) => deliver(bytes, false));
  }

  /**
   * A connection's PROXY protocol header (`proxyProtocol`): its peer must be trusted; its first
   * bytes are read into a ProxyHeaderReader until the header is complete, then `onHeader` opens
   * the session with the bytes after it. No session, and no slot of maxConnectionsPerAddress,
   * exists until then: the per-address limit counts the client the header names, not the
   * balancer every client comes through. Connections waiting for their header count towards
   * maxConnections. A failure is a `refused` event and a destroyed socket. Returns the receiver
   * of the socket's bytes, or undefined when the connection was refused at once.
   */
  private awaitProxyHeader(socket: Socket, peerAddress: string, onHeader: (header: ProxyHeader, rest: Uint8Array, reused: boolean) => void): ((bytes: Uint8Array, reused: boolean) => void) | undefined {
    const { maxConnections, proxyProtocolTrusted, proxyHeaderTimeoutMs } = this.settings;
    // No peer address: the connection was gone before it was handled (a balancer's connect-only
    // health check, every few seconds): nothing to refuse or to report.
    if (peerAddress === '' && (socket.destroyed || socket.remoteAddress === undefined)) {
      socket.destroy();
      return undefined;
    }
    if (!inAddressRanges(proxyProtocolTrusted, peerAddress)) {
      this.refuse(socket, new RtmpError('ERR_RTMP_PROXY_UNTRUSTED', `connection refused: ${peerAddress} is not in proxyProtocolTrusted, and only a trusted balancer may send a PROXY protocol header`, { remoteAddress: peerAddress }), peerAddress);
      return undefined;
    }
    if (this.slots.open + this.awaitingHeader.size >= maxConnections) {
      this.refuse(socket, new RtmpError('ERR_RTMP_TOO_MANY_CONNECTIONS', `connection refused: ${this.slots.open} sessions open and ${this.awaitingHeader.size} waiting for their PROXY header, maxConnections is ${maxConnections}`, { limit: maxConnections }), peerAddress);
      return undefined;
    }
    const reader = new ProxyHeaderReader();
    this.awaitingHeader.add(socket);
    let waiting = true;
    const stop = (): void => {
      waiting = false;
      clearTimeout(timer);
      this.awaitingHeader.delete(socket);
    };
    const fail = (error: RtmpError): void => {
      stop();
      this.refuse(socket, error, peerAddress);
    };
    const timer = setTimeout(() => fail(new RtmpError('ERR_RTMP_PROXY_HEADER_TIMEOUT', `no complete PROXY protocol header after ${proxyHeaderTimeoutMs} ms (${reader.heldBytes} bytes)`, { limit: proxyHeaderTimeoutMs, remoteAddress: peerAddress })), proxyHeaderTimeoutMs);
    socket.on('error', () => socket.destroy());
    socket.once('close', stop);
    return (bytes, reused) => {
      if (!waiting) return;
      let step: ProxyHeaderStep;
      try {
        step = reader.push(bytes);
      } catch (err) {
        if (!(err instanceof RtmpError)) throw err;
        return fail(err);
      }
      if (!step.done) return;
      stop();
      onHeader(step.header, step.rest, reused);
    };
  }

  /**
   * A session for `socket`, if a slot is free for `client`: the TCP peer, or the client a PROXY
   * header named (then `proxy` is the peer and its header).
   */
  private open(socket: Socket, client: ProxyEndpoint, proxy: (ProxyEndpoint & { header: ProxyHeader }) | undefined): ServerSession | undefined {
    const refused = this.slots.take(client.address);
    if (refused !== undefined) {
      const { maxConnections, maxConnectionsPerAddress } = this.settings;
      const error =
        refused === 'total'
          ? new RtmpError('ERR_RTMP_TOO_MANY_CONNECTIONS', `connection refused: ${this.slots.open} sessions open, maxConnections is ${maxConnections}`, { limit: maxConnections })
          : new RtmpError('ERR_RTMP_TOO_MANY_CONNECTIONS_FROM_ADDRESS', `connection refused: ${this.slots.heldBy(client.address)} sessions open from ${client.address}, maxConnectionsPerAddress is ${maxConnectionsPerAddress}`, { limit: maxConnectionsPerAddress, remoteAddress: client.address });
      this.refuse(socket, error, client.address);
      return undefined;
    }
    const session = new ServerSession(socketTransport(socket), this.sessionOptions);
    session.id = this.nextId++;
    session.remoteAddress = client.address;
    session.remotePort = client.port;
    if (proxy !== undefined) [session.proxyAddress, session.proxyPort, session.proxyHeader] = [proxy.address, proxy.port, proxy.header];
    this.live.add(session);
    this.sockets.set(session, socket);
    this.wire(session);
    this.watchStreams(session);
    const { handshakeTimeoutMs, idleTimeoutMs } = this.settings;
    const handshakeTimer = setTimeout(() => {
      session.fail(new RtmpError('ERR_RTMP_HANDSHAKE_TIMEOUT', `handshake not done after ${handshakeTimeoutMs} ms`, { limit: handshakeTimeoutMs }));
    }, handshakeTimeoutMs);
    session.once('handshake', () => clearTimeout(handshakeTimer));
    session.once('close', () => clearTimeout(handshakeTimer));
    socket.setTimeout(idleTimeoutMs, () => {
      session.fail(new RtmpError('ERR_RTMP_IDLE_TIMEOUT', `no data for ${idleTimeoutMs} ms`, { limit: idleTimeoutMs }));
    });
    socket.on('error', () => session.close());
    socket.on('close', () => {
      session.close();
      this.sockets.delete(session);
    });
    this.emit('session', session);
    return session;
  }

  private refuse(socket: Socket, error: RtmpError, remoteAddress: string): void {
    socket.destroy();
    this.emit('refused', error, remoteAddress);
  }

  private wire(session: ServerSession): void {
    session.on('connect', (info) => this.emit('connect', session, info));
    session.on('publish', (request) => this.emit('publish', request));
    session.on('play', (request) => this.emit('play', request));
    session.on('playing', (player, request) => this.emit('playing', player, request));
    session.on('unpublish', (stream) => this.emit('unpublish', session, stream));
    session.on('stop', (player) => this.emit('stop', session, player));
    session.on('refusedStream', (refusal) => this.emit('refusedStream', session, refusal));
    session.on('error', (error) => this.emit('sessionError', session, error));
    session.on('close', () => {
      this.live.delete(session);
      this.slots.release(session.remoteAddress);
      this.emit('sessionClose', session);
    });
  }

  /**
   * noStreamTimeoutMs: a session is closed once it has had no published or played stream for
   * that long, counted from its start or from its last stream's end. One timer per session,
   * re-armed for the time left whenever it fires early.
   */
  private watchStreams(session: ServerSession): void {
    const timeoutMs = this.settings.noStreamTimeoutMs;
    let streamlessSince = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const streams = (): number => session.publishedStreams.size + session.playerStreams.size;
    const arm = (delayMs: number): void => {
      timer = setTimeout(check, delayMs);
      timer.unref();
    };
    const check = (): void => {
      if (session.closed) return;
      if (streams() > 0) return arm(timeoutMs);
      const waitedMs = Date.now() - streamlessSince;
      if (waitedMs < timeoutMs) return arm(timeoutMs - waitedMs);
      session.fail(new RtmpError('ERR_RTMP_NO_STREAM_TIMEOUT', `no stream published or played for ${waitedMs} ms (noStreamTimeoutMs ${timeoutMs})`, { limit: timeoutMs }));
    };
    const streamEnded = (): void => {
      if (streams() === 0) streamlessSince = Date.now();
    };
    session.on('unpublish', streamEnded);
    session.on('stop', streamEnded);
    session.once('close', () => clearTimeout(timer));
    arm(timeoutMs);
  }
}
