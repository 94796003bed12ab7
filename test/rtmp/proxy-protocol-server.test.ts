import { mkdtempSync, rmSync } from 'node:fs';
import net, { type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configLayerFromEnv, configLayerFromStrings, resolveServerConfig } from '../../src/cli/server-config.js';
import { mediaServerOptions } from '../../src/cli/serve.js';
import { ConfigError } from '../../src/errors/index.js';
import { RtmpClient, type ServerSession } from '../../src/rtmp/index.js';
import { parseAddressRange } from '../../src/rtmp/proxy-address.js';
import { encodeProxyHeaderV1, encodeProxyHeaderV2 } from '../../src/rtmp/proxy-protocol-encode.js';
import { resolveServerOptions } from '../../src/rtmp/server-options.js';
import { createMediaServer, type MediaServer } from '../../src/server/index.js';
import { JsonFileJobStore } from '../../src/transcode/index.js';
import { serverEvent, startServer, withTimeout, type TestServer } from '../helpers/rtmp.js';

/**
 * RtmpServer with `proxyProtocol`: a balancer written here (a TCP relay that sends a PROXY header,
 * then the client's bytes) in front of it, RtmpClient publishing through it. The session sees the
 * header's client; the per-address limit counts that client; bad, late and untrusted headers are
 * `refused` and closed while the server goes on.
 */

interface Balancer {
  readonly port: number;
  /** The local port of each connection to the server: the TCP peer the server sees. */
  readonly backendPorts: number[];
  close(): Promise<void>;
}

/** A relay to `targetPort` writing `header(n)` on its n-th connection first; `coalesce`: in one write with the client's first bytes. */
async function startBalancer(targetPort: number, header: (n: number) => Uint8Array, coalesce = false): Promise<Balancer> {
  const sockets = new Set<Socket>();
  const backendPorts: number[] = [];
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.once('close', () => sockets.delete(s));
  };
  const server = net.createServer((client) => {
    const n = backendPorts.length;
    const backend = net.connect({ host: '127.0.0.1', port: targetPort });
    [client, backend].forEach(track);
    client.once('close', () => backend.destroy());
    backend.once('close', () => client.destroy());
    client.pause();
    backend.once('connect', () => {
      backendPorts.push(backend.localPort!);
      backend.pipe(client);
      if (!coalesce) {
        backend.write(header(n));
        client.pipe(backend);
        return;
      }
      client.once('data', (first: Buffer) => {
        backend.write(Buffer.concat([header(n), first]));
        client.pipe(backend);
      });
      client.resume();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    backendPorts,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const v2From = (address: string, port: number): Uint8Array => encodeProxyHeaderV2({ family: 'inet', source: { address, port }, destination: { address: '198.51.100.1', port: 1935 } });

/** A raw TCP connection to the server; resolves once connected. */
async function connectRaw(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  return { socket, closed };
}

let ts: TestServer | undefined;
let balancer: Balancer | undefined;
const clients: RtmpClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await balancer?.close();
  await ts?.close();
  [ts, balancer] = [undefined, undefined];
});

async function connectVia(b: Balancer): Promise<RtmpClient> {
  const client = await RtmpClient.connect(`rtmp://127.0.0.1:${b.port}/live`, { timeoutMs: 3000 });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

const sessionView = (s: ServerSession) => ({ remoteAddress: s.remoteAddress, remotePort: s.remotePort, proxyAddress: s.proxyAddress, proxyPort: s.proxyPort, version: s.proxyHeader?.version });

describe('RtmpServer proxyProtocol', () => {
  it('a v2 header: the publish is the header\'s client; the balancer is proxyAddress', async () => {
    ts = await startServer({ proxyProtocol: true });
    balancer = await startBalancer(ts.port, () => v2From('203.0.113.7', 40_000));
    const publish = serverEvent(ts.server, 'publish');
    const client = await connectVia(balancer);
    await client.publish('key');
    const [request] = await withTimeout(publish, 2000, 'publish event');
    expect(sessionView(request.session)).toEqual({ remoteAddress: '203.0.113.7', remotePort: 40_000, proxyAddress: '127.0.0.1', proxyPort: balancer.backendPorts[0], version: 2 });
  });

  it('a v1 TCP6 line in the same write as RTMP\'s C0/C1: the bytes after it reach the handshake', async () => {
    ts = await startServer({ proxyProtocol: true });
    const line = encodeProxyHeaderV1({ family: 'inet6', source: { address: '2001:db8::7', port: 50_000 }, destination: { address: '2001:db8::1', port: 1935 } });
    balancer = await startBalancer(ts.port, () => line, true);
    const publish = serverEvent(ts.server, 'publish');
    await (await connectVia(balancer)).publish('key');
    const [request] = await withTimeout(publish, 2000, 'publish event');
    expect(sessionView(request.session)).toEqual({ remoteAddress: '2001:db8::7', remotePort: 50_000, proxyAddress: '127.0.0.1', proxyPort: balancer.backendPorts[0], version: 1 });
  });

  it('maxConnectionsPerAddress counts the header\'s client, not the balancer all clients come through', async () => {
    ts = await startServer({ proxyProtocol: true, maxConnectionsPerAddress: 1 });
    const named = ['203.0.113.7', '203.0.113.7', '203.0.113.8'];
    balancer = await startBalancer(ts.port, (n) => v2From(named[n]!, 40_000 + n));
    const refused = serverEvent(ts.server, 'refused');
    await connectVia(balancer);
    await expect(connectVia(balancer)).rejects.toMatchObject({ code: 'ERR_RTMP_CONNECTION_CLOSED' });
    const [error, address] = await withTimeout(refused, 2000, 'refused event');
    expect([error.code, address]).toEqual(['ERR_RTMP_TOO_MANY_CONNECTIONS_FROM_ADDRESS', '203.0.113.7']);
    await connectVia(balancer);
    expect([...ts.server.sessions].map((s) => s.remoteAddress).sort()).toEqual(['203.0.113.7', '203.0.113.8']);
  });

  it('a LOCAL header (a health check) keeps the TCP peer as the session\'s address', async () => {
    ts = await startServer({ proxyProtocol: true });
    const opened = serverEvent(ts.server, 'session');
    const { socket } = await connectRaw(ts.port);
    socket.write(encodeProxyHeaderV2({ command: 'local', family: 'unspec' }));
    const [session] = await withTimeout(opened, 2000, 'session event');
    expect(sessionView(session)).toEqual({ remoteAddress: '127.0.0.1', remotePort: socket.localPort, proxyAddress: '127.0.0.1', proxyPort: socket.localPort, version: 2 });
    expect(session.proxyHeader?.command).toBe('local');
    socket.destroy();
  });

  it('RTMP without a header is refused with ERR_RTMP_PROXY_HEADER and closed; the server goes on', async () => {
    ts = await startServer({ proxyProtocol: true });
    let sessions = 0;
    ts.server.on('session', () => void sessions++);
    const refused = serverEvent(ts.server, 'refused');
    const { socket, closed } = await connectRaw(ts.port);
    socket.write(Uint8Array.from([0x03, ...new Uint8Array(1536)]));
    const [error, address] = await withTimeout(refused, 2000, 'refused event');
    expect([error.code, error.details['offset'], address]).toEqual(['ERR_RTMP_PROXY_HEADER', 0, '127.0.0.1']);
    await withTimeout(closed, 2000, 'socket closed by the server');
    expect(sessions).toBe(0);
    balancer = await startBalancer(ts.port, () => v2From('192.0.2.1', 1));
    await (await connectVia(balancer)).publish('after');
  });

  it('a header that stops coming is refused after proxyHeaderTimeoutMs; waiting connections count towards maxConnections', async () => {
    ts = await startServer({ proxyProtocol: true, proxyHeaderTimeoutMs: 300, maxConnections: 1 });
    const refusals: string[] = [];
    ts.server.on('refused', (e) => refusals.push(e.code));
    const started = Date.now();
    const slow = await connectRaw(ts.port);
    slow.socket.write(v2From('192.0.2.1', 1).subarray(0, 10));
    const second = await connectRaw(ts.port);
    await withTimeout(second.closed, 2000, 'second connection closed');
    await withTimeout(slow.closed, 3000, 'slow connection closed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(refusals).toEqual(['ERR_RTMP_TOO_MANY_CONNECTIONS', 'ERR_RTMP_PROXY_HEADER_TIMEOUT']);
  });

  it('a peer outside proxyProtocolTrusted is refused at accept with ERR_RTMP_PROXY_UNTRUSTED', async () => {
    ts = await startServer({ proxyProtocol: true, proxyProtocolTrusted: ['192.0.2.0/24', '2001:db8::/32'] });
    const refused = serverEvent(ts.server, 'refused');
    const { closed } = await connectRaw(ts.port);
    const [error, address] = await withTimeout(refused, 2000, 'refused event');
    expect([error.code, address]).toEqual(['ERR_RTMP_PROXY_UNTRUSTED', '127.0.0.1']);
    await withTimeout(closed, 2000, 'socket closed by the server');
  });

  it('close() ends connections still waiting for their header', async () => {
    ts = await startServer({ proxyProtocol: true, proxyHeaderTimeoutMs: 60_000 });
    const { closed } = await connectRaw(ts.port);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await withTimeout(ts.close(), 1000, 'server close');
    await withTimeout(closed, 1000, 'socket closed');
    ts = undefined;
  });

  it('without proxyProtocol the session has the TCP peer\'s port and no proxy', async () => {
    ts = await startServer();
    const opened = serverEvent(ts.server, 'session');
    const { socket } = await connectRaw(ts.port);
    const [session] = await withTimeout(opened, 2000, 'session event');
    expect(sessionView(session)).toEqual({ remoteAddress: '127.0.0.1', remotePort: socket.localPort, proxyAddress: undefined, proxyPort: undefined, version: undefined });
    socket.destroy();
  });
});

describe('createMediaServer with rtmp.proxyProtocol', () => {
  let media: MediaServer | undefined;
  let dir = '';
  afterEach(async () => {
    await media?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("publish authorization and the control API's sessions see the header's client", async () => {
    dir = mkdtempSync(join(tmpdir(), 'tidecast-proxy-'));
    const asked: string[] = [];
    const recordIp = { name: 'record-ip', decide: async (request: { ip: string }) => (asked.push(request.ip), { allow: true as const, by: 'record-ip' }) };
    media = createMediaServer({
      rtmp: { port: 0, host: '127.0.0.1', proxyProtocol: true },
      http: { port: 0, host: '127.0.0.1' },
      auth: { apps: { live: { strategies: [recordIp], open: ['play'] } } },
      jobs: { store: new JsonFileJobStore(join(dir, 'jobs.json')) },
    });
    const { rtmp, http } = await media.listen();
    balancer = await startBalancer(rtmp.port, () => v2From('198.51.100.23', 41_000));
    await (await connectVia(balancer)).publish('cam');
    expect(asked).toEqual(['198.51.100.23']);
    const listed = (await (await fetch(`http://127.0.0.1:${http.port}/api/sessions`)).json()) as { sessions: Array<{ role: string; remoteAddress: string }> };
    expect(listed.sessions).toEqual([expect.objectContaining({ role: 'publisher', remoteAddress: '198.51.100.23' })]);
  });
});

describe('proxyProtocol options', () => {
  it('defaults: off, loopback trusted, 5 s for the header', () => {
    expect(resolveServerOptions({})).toMatchObject({ proxyProtocol: false, proxyHeaderTimeoutMs: 5000, proxyProtocolTrusted: [parseAddressRange('127.0.0.0/8'), parseAddressRange('::1')] });
  });

  it.each([
    [{ proxyProtocol: 'yes' }, 'option proxyProtocol must be true or false, got yes'],
    [{ proxyProtocolTrusted: ['10.0.0.0/8', 'proxy.internal'] }, 'option proxyProtocolTrusted[1] must be a list of IPv4/IPv6 addresses or CIDR ranges (10.0.0.0/8, fd00::/8), got "proxy.internal"'],
    [{ proxyProtocolTrusted: '10.0.0.0/8' }, 'option proxyProtocolTrusted must be a list of IPv4/IPv6 addresses or CIDR ranges (10.0.0.0/8, fd00::/8), got string'],
    [{ proxyHeaderTimeoutMs: 0 }, 'option proxyHeaderTimeoutMs must be an integer from 1 to 3600000, got 0'],
    [{ proxyProtocol: true, tls: { cert: '', key: '' } }, 'option proxyProtocol must be off with tls'],
  ])('refuses %j', (options, message) => {
    expect(() => resolveServerOptions(options as never)).toThrow(ConfigError);
    expect(() => resolveServerOptions(options as never)).toThrow(message);
  });

  it('tidecast serve: --rtmp-proxy-protocol and --rtmp-proxy-protocol-trusted (and their variables) reach the RTMP server', () => {
    const flags = configLayerFromStrings({ rtmpProxyProtocol: 'on', rtmpProxyProtocolTrusted: '10.0.0.0/8, fd00::/8' }, 'flag');
    const rtmp = mediaServerOptions(resolveServerConfig({ flags })).rtmp!;
    expect([rtmp.proxyProtocol, rtmp.proxyProtocolTrusted]).toEqual([true, ['10.0.0.0/8', 'fd00::/8']]);
    expect(resolveServerOptions(rtmp).proxyProtocolTrusted).toHaveLength(2);
    const env = configLayerFromEnv({ TIDECAST_RTMP_PROXY_PROTOCOL: 'yes', TIDECAST_RTMP_PROXY_PROTOCOL_TRUSTED: '192.0.2.10' });
    expect(env).toEqual({ rtmpProxyProtocol: true, rtmpProxyProtocolTrusted: '192.0.2.10' });
    const defaults = mediaServerOptions(resolveServerConfig({})).rtmp!;
    expect([defaults.proxyProtocol, defaults.proxyProtocolTrusted]).toEqual([false, ['127.0.0.0/8', '::1']]);
  });
});
