import { describe, expect, it } from 'vitest';
import { RtmpServer, parseAppName, parseRtmpUrl, parseStreamName } from '../../src/rtmp/index.js';
import { parseAddressRange } from '../../src/rtmp/proxy-address.js';

describe('parseRtmpUrl', () => {
  it.each([
    ['rtmp://127.0.0.1/live', { secure: false, host: '127.0.0.1', port: 1935, app: 'live', streamName: '', tcUrl: 'rtmp://127.0.0.1/live' }],
    ['rtmp://h:1936/live/key', { secure: false, host: 'h', port: 1936, app: 'live', streamName: 'key', tcUrl: 'rtmp://h:1936/live' }],
    ['rtmps://h/live/key?token=a&b=c', { secure: true, host: 'h', port: 443, app: 'live', streamName: 'key?token=a&b=c', tcUrl: 'rtmps://h/live' }],
    ['rtmp://h/live?token=1', { app: 'live?token=1', streamName: '', tcUrl: 'rtmp://h/live?token=1' }],
    ['rtmp://[::1]:1935/live/a/b', { host: '::1', port: 1935, app: 'live', streamName: 'a/b' }],
    ['RTMP://H/live/k', { secure: false, host: 'H', app: 'live', streamName: 'k' }],
  ])('%s', (url, expected) => {
    expect(parseRtmpUrl(url)).toMatchObject(expected);
  });

  it.each(['http://h/live', 'rtmp://h', 'rtmp://h/', 'rtmp://h:0/live', 'rtmp://h:99999/live', 'rtmp:/h/live'])('refuses %s with ERR_RTMP_URL_INVALID', (url) => {
    expect(() => parseRtmpUrl(url)).toThrowError(expect.objectContaining({ code: 'ERR_RTMP_URL_INVALID' }));
  });
});

describe('stream and app names', () => {
  it.each([
    ['key', { streamKey: 'key', query: '' }],
    ['key?token=abc', { streamKey: 'key', query: 'token=abc' }],
    ['mp4:key', { streamKey: 'key', query: '' }],
    ['FLV:key?x', { streamKey: 'key', query: 'x' }],
    ['', { streamKey: '', query: '' }],
  ])('stream name %j', (raw, expected) => expect(parseStreamName(raw)).toEqual(expected));

  it('app names lose a trailing slash and keep their query', () => {
    expect(parseAppName('live/')).toEqual({ streamKey: 'live', query: '' });
    expect(parseAppName('live?vhost=a')).toEqual({ streamKey: 'live', query: 'vhost=a' });
  });
});

describe('RtmpServer options', () => {
  it.each([
    [{ port: -1 }, 'port'],
    [{ port: 70000 }, 'port'],
    [{ handshakeTimeoutMs: 0 }, 'handshakeTimeoutMs'],
    [{ idleTimeoutMs: 1.5 }, 'idleTimeoutMs'],
    [{ maxConnections: 0 }, 'maxConnections'],
    [{ outgoingChunkSize: 64 }, 'outgoingChunkSize'],
    [{ maxOutgoingBufferBytes: 10 }, 'maxOutgoingBufferBytes'],
    [{ chunk: { maxMessageLength: 0 } }, 'chunk.maxMessageLength'],
    [{ amf: { maxDepth: -1 } }, 'maxDepth'],
    [{ sharedReadBuffer: 'yes' as unknown as boolean }, 'sharedReadBuffer'],
  ])('%j is refused, naming the option', (options, name) => {
    expect(() => new RtmpServer(options)).toThrowError(expect.objectContaining({ code: 'ERR_CONFIG_INVALID', details: expect.objectContaining({ option: name }) }));
  });

  it('defaults: port 1935 on every interface, 10 s handshake, 30 s idle, 1000 connections, 32 per address, 10 s without a stream, 128 MiB pending', () => {
    expect(new RtmpServer().settings).toEqual({
      port: 1935,
      host: '0.0.0.0',
      handshakeTimeoutMs: 10_000,
      idleTimeoutMs: 30_000,
      maxConnections: 1000,
      maxConnectionsPerAddress: 32,
      noStreamTimeoutMs: 10_000,
      maxTotalPendingBytes: 128 * 1024 * 1024,
      proxyProtocol: false,
      proxyProtocolTrusted: [parseAddressRange('127.0.0.0/8'), parseAddressRange('::1')],
      proxyHeaderTimeoutMs: 5000,
    });
  });
});
