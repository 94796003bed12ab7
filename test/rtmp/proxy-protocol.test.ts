import { describe, expect, it } from 'vitest';
import { RtmpError } from '../../src/errors/index.js';
import { encodeProxyHeaderV1, encodeProxyHeaderV2 } from '../../src/rtmp/proxy-protocol-encode.js';
import { PROXY_V1_MAX_BYTES, ProxyHeaderReader, clientEndpoint, decodeProxyHeader, type ProxyHeader, type ProxyHeaderFields } from '../../src/rtmp/proxy-protocol.js';
import { ascii, feed, hex } from '../helpers/proxy-header.js';

/**
 * PROXY protocol headers (haproxy doc/proxy-protocol.txt) both ways: decode tables, the same bytes
 * written back where they are canonical, hostile headers refused at the first byte that proves
 * them wrong, and every split of every header giving the same result.
 */

const SIGNATURE = '0d0a0d0a000d0a515549540a';
/** What RTMP's C0 and the start of C1 look like after the header: must come out as `rest`, untouched. */
const RTMP_START = hex('03 00000000 00000000 0102030405');

type Expected = Omit<ProxyHeader, 'byteLength' | 'tlvs'> & { tlvs?: ProxyHeader['tlvs'] };

interface ValidCase {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly header: Expected;
  /** The encoder writes exactly these bytes back from the decoded header. */
  readonly canonical: boolean;
  /** clientEndpoint: the client the server takes, or undefined (the TCP peer). */
  readonly client: string | undefined;
}

const tcp4 = (source: string, sport: number, destination: string, dport: number) => ({ family: 'inet' as const, transport: 'stream' as const, source: { address: source, port: sport }, destination: { address: destination, port: dport } });
const tcp6 = (source: string, sport: number, destination: string, dport: number) => ({ ...tcp4(source, sport, destination, dport), family: 'inet6' as const });
const none = { source: undefined, destination: undefined };

const VALID: readonly ValidCase[] = [
  { name: 'v1 TCP4 (the spec\'s example)', bytes: ascii('PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n'), header: { version: 1, command: 'proxy', ...tcp4('192.168.0.1', 56324, '192.168.0.11', 443) }, canonical: true, client: '192.168.0.1:56324' },
  { name: 'v1 TCP4 extremes', bytes: ascii('PROXY TCP4 255.255.255.255 0.0.0.0 65535 0\r\n'), header: { version: 1, command: 'proxy', ...tcp4('255.255.255.255', 65535, '0.0.0.0', 0) }, canonical: true, client: '255.255.255.255:65535' },
  { name: 'v1 TCP6', bytes: ascii('PROXY TCP6 2001:db8::1 2001:db8::2 40000 1935\r\n'), header: { version: 1, command: 'proxy', ...tcp6('2001:db8::1', 40000, '2001:db8::2', 1935) }, canonical: true, client: '2001:db8::1:40000' },
  { name: 'v1 TCP6, full groups and upper case, normalised', bytes: ascii('PROXY TCP6 2001:0DB8:0000:0000:0000:0000:0000:0001 ::1 1 2\r\n'), header: { version: 1, command: 'proxy', ...tcp6('2001:db8::1', 1, '::1', 2) }, canonical: false, client: '2001:db8::1:1' },
  { name: 'v1 TCP6, IPv4-mapped as inet_ntop writes it', bytes: ascii('PROXY TCP6 ::ffff:10.1.2.3 ::ffff:10.0.0.1 5000 1935\r\n'), header: { version: 1, command: 'proxy', ...tcp6('::ffff:10.1.2.3', 5000, '::ffff:10.0.0.1', 1935) }, canonical: false, client: '::ffff:10.1.2.3:5000' },
  { name: 'v1 UNKNOWN, short form', bytes: ascii('PROXY UNKNOWN\r\n'), header: { version: 1, command: 'proxy', family: 'unspec', transport: 'unspec', ...none }, canonical: true, client: undefined },
  {
    name: 'v1 UNKNOWN, the spec\'s 107-byte worst case (the rest of the line ignored)',
    bytes: ascii(`PROXY UNKNOWN ${'ffff:'.repeat(7)}ffff ${'ffff:'.repeat(7)}ffff 65535 65535\r\n`),
    header: { version: 1, command: 'proxy', family: 'unspec', transport: 'unspec', ...none },
    canonical: false,
    client: undefined,
  },
  { name: 'v2 PROXY TCP4 as HAProxy sends it', bytes: hex(`${SIGNATURE} 21 11 000c ac130001 ac130003 a652 0050`), header: { version: 2, command: 'proxy', ...tcp4('172.19.0.1', 42578, '172.19.0.3', 80) }, canonical: true, client: '172.19.0.1:42578' },
  { name: 'v2 LOCAL (a health check)', bytes: hex(`${SIGNATURE} 20 00 0000`), header: { version: 2, command: 'local', family: 'unspec', transport: 'unspec', ...none }, canonical: true, client: undefined },
  { name: 'v2 LOCAL with an INET block, skipped whole', bytes: hex(`${SIGNATURE} 20 11 000c 7f000001 7f000001 1f90 0050`), header: { version: 2, command: 'local', family: 'inet', transport: 'stream', ...none }, canonical: false, client: undefined },
  { name: 'v2 LOCAL with an undefined family byte (ignored for LOCAL)', bytes: hex(`${SIGNATURE} 20 45 0002 abcd`), header: { version: 2, command: 'local', family: 'unspec', transport: 'unspec', ...none }, canonical: false, client: undefined },
  { name: 'v2 PROXY UNSPEC: the block ignored', bytes: hex(`${SIGNATURE} 21 00 0003 010203`), header: { version: 2, command: 'proxy', family: 'unspec', transport: 'unspec', ...none }, canonical: false, client: undefined },
  {
    name: 'v2 PROXY TCP6',
    bytes: hex(`${SIGNATURE} 21 21 0024 20010db8000000000000000000000001 20010db8000000000000000000000002 9c40 078f`),
    header: { version: 2, command: 'proxy', ...tcp6('2001:db8::1', 40000, '2001:db8::2', 1935) },
    canonical: true,
    client: '2001:db8::1:40000',
  },
  {
    name: 'v2 PROXY TCP6 IPv4-mapped (a dual-stack frontend)',
    bytes: hex(`${SIGNATURE} 21 21 0024 00000000000000000000ffffc0000201 00000000000000000000ffff7f000001 d431 078f`),
    header: { version: 2, command: 'proxy', ...tcp6('::ffff:192.0.2.1', 54321, '::ffff:127.0.0.1', 1935) },
    canonical: true,
    client: '::ffff:192.0.2.1:54321',
  },
  { name: 'v2 PROXY UDP4: decoded, not taken as a TCP client', bytes: hex(`${SIGNATURE} 21 12 000c 0a000001 0a000002 0035 0035`), header: { version: 2, command: 'proxy', ...tcp4('10.0.0.1', 53, '10.0.0.2', 53), transport: 'dgram' }, canonical: true, client: undefined },
  {
    name: 'v2 PROXY UNIX stream: paths up to their NUL',
    bytes: hex(`${SIGNATURE} 21 31 00d8 ${Buffer.from('/run/a.sock').toString('hex').padEnd(216, '0')} ${Buffer.from('/run/b.sock').toString('hex').padEnd(216, '0')}`),
    header: { version: 2, command: 'proxy', family: 'unix', transport: 'stream', source: { address: '/run/a.sock', port: 0 }, destination: { address: '/run/b.sock', port: 0 } },
    canonical: true,
    client: undefined,
  },
  {
    name: 'v2 PROXY TCP4 with TLVs: AUTHORITY, UNIQUE_ID, an empty NOOP, a custom 0xE0',
    bytes: hex(`${SIGNATURE} 21 11 0029 c0000201 c6336401 1f40 078f 02 000b ${Buffer.from('example.com').toString('hex')} 05 0004 deadbeef 04 0000 e0 0002 0102`),
    header: {
      version: 2,
      command: 'proxy',
      ...tcp4('192.0.2.1', 8000, '198.51.100.1', 1935),
      tlvs: [{ type: 2, value: ascii('example.com') }, { type: 5, value: hex('deadbeef') }, { type: 4, value: new Uint8Array(0) }, { type: 0xe0, value: hex('0102') }],
    },
    canonical: true,
    client: '192.0.2.1:8000',
  },
];

interface HostileCase {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** The shortest prefix already refused: the reader does not wait for bytes it does not need. */
  readonly refusedAt: number;
}

const longV1 = ascii(`PROXY UNKNOWN ${'x'.repeat(200)}\r\n`);
const HOSTILE: readonly HostileCase[] = [
  { name: 'RTMP C0 where the header should be (a client straight to the origin)', bytes: RTMP_START, refusedAt: 1 },
  { name: 'an HTTP request', bytes: ascii('GET / HTTP/1.1\r\n\r\n'), refusedAt: 1 },
  { name: 'lower-case "proxy"', bytes: ascii('proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n'), refusedAt: 1 },
  { name: '"PROXY" without its space', bytes: ascii('PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n'), refusedAt: 6 },
  { name: 'v1 ended by LF alone', bytes: ascii('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n'), refusedAt: 31 },
  { name: 'v1 CR not followed by LF', bytes: ascii('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX'), refusedAt: 32 },
  { name: 'v1 protocol TCP5', bytes: ascii('PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n'), refusedAt: 32 },
  { name: 'v1 heading zero in an octet', bytes: ascii('PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n'), refusedAt: 33 },
  { name: 'v1 octet 256', bytes: ascii('PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n'), refusedAt: 34 },
  { name: 'v1 heading zero in a port', bytes: ascii('PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n'), refusedAt: 34 },
  { name: 'v1 port 65536', bytes: ascii('PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n'), refusedAt: 36 },
  { name: 'v1 two spaces', bytes: ascii('PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n'), refusedAt: 33 },
  { name: 'v1 a field missing', bytes: ascii('PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n'), refusedAt: 30 },
  { name: 'v1 TCP4 with IPv6 addresses', bytes: ascii('PROXY TCP4 ::1 ::1 1 2\r\n'), refusedAt: 24 },
  { name: 'v1 TCP6 with a zone index', bytes: ascii('PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n'), refusedAt: 33 },
  { name: 'v1 TCP6 with two "::"', bytes: ascii('PROXY TCP6 1::2::3 ::1 1 2\r\n'), refusedAt: 28 },
  { name: 'v1 NUL inside a TCP4 line', bytes: ascii('PROXY TCP4 1.2.3.4\u00005.6.7.8 1 2\r\n'), refusedAt: 32 },
  { name: 'v1 without CRLF in 107 bytes', bytes: longV1, refusedAt: PROXY_V1_MAX_BYTES },
  { name: 'v1 CR as the 107th byte', bytes: ascii(`PROXY UNKNOWN ${'x'.repeat(92)}\r\n`), refusedAt: PROXY_V1_MAX_BYTES },
  { name: 'v2 signature wrong at byte 11', bytes: hex('0d0a0d0a000d0a515549540b 21 11 000c'), refusedAt: 12 },
  { name: 'v2 version 1', bytes: hex(`${SIGNATURE} 11 11 000c`), refusedAt: 13 },
  { name: 'v2 version 3', bytes: hex(`${SIGNATURE} 31 11 000c`), refusedAt: 13 },
  { name: 'v2 command 2', bytes: hex(`${SIGNATURE} 22 11 000c`), refusedAt: 13 },
  { name: 'v2 family 4', bytes: hex(`${SIGNATURE} 21 41 000c`), refusedAt: 14 },
  { name: 'v2 transport 3', bytes: hex(`${SIGNATURE} 21 13 000c`), refusedAt: 14 },
  { name: 'v2 INET with an UNSPEC transport', bytes: hex(`${SIGNATURE} 21 10 000c`), refusedAt: 14 },
  { name: 'v2 length 65535: above the 2048 read, refused at once', bytes: hex(`${SIGNATURE} 21 11 ffff`), refusedAt: 16 },
  { name: 'v2 INET block shorter than two addresses and ports', bytes: hex(`${SIGNATURE} 21 11 0008 7f000001 7f000001`), refusedAt: 16 },
  { name: 'v2 UNIX block shorter than two paths', bytes: hex(`${SIGNATURE} 21 31 006c`), refusedAt: 16 },
  { name: 'v2 TLV header cut', bytes: hex(`${SIGNATURE} 21 11 000e 7f000001 7f000001 0001 0002 0200`), refusedAt: 30 },
  { name: 'v2 TLV longer than the block', bytes: hex(`${SIGNATURE} 21 11 0011 7f000001 7f000001 0001 0002 02 0005 6162`), refusedAt: 33 },
];

/** Every split into two pieces, and one byte at a time. */
function splits(length: number): number[][] {
  return [[length], [1], ...Array.from({ length: length - 1 }, (_, i) => [i + 1, length])];
}

describe('PROXY protocol decode tables', () => {
  it.each(VALID)('$name', ({ bytes, header, client }) => {
    const decoded = decodeProxyHeader(bytes);
    expect(decoded).toEqual({ tlvs: [], ...header, byteLength: bytes.length });
    const endpoint = clientEndpoint(decoded!);
    expect(endpoint === undefined ? undefined : `${endpoint.address}:${endpoint.port}`).toBe(client);
    // Any shorter prefix is a valid start that needs more.
    for (let n = 0; n < bytes.length; n++) expect(decodeProxyHeader(bytes.subarray(0, n)), `prefix ${n}`).toBeUndefined();
  });

  it.each(HOSTILE)('refuses $name at byte $refusedAt', ({ bytes, refusedAt }) => {
    const error = (() => {
      try {
        decodeProxyHeader(bytes);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RtmpError);
    expect((error as RtmpError).code).toBe('ERR_RTMP_PROXY_HEADER');
    expect(() => decodeProxyHeader(bytes.subarray(0, refusedAt))).toThrow(RtmpError);
    expect(decodeProxyHeader(bytes.subarray(0, refusedAt - 1))).toBeUndefined();
  });
});

describe('PROXY protocol encode tables: the canonical headers written back byte for byte', () => {
  it.each(VALID.filter((c) => c.canonical))('$name', ({ bytes, header }) => {
    const encode = header.version === 1 ? encodeProxyHeaderV1 : encodeProxyHeaderV2;
    expect(Buffer.from(encode(header)).toString('hex')).toBe(Buffer.from(bytes).toString('hex'));
  });

  it.each([
    ['v1 LOCAL', 1, { command: 'local', family: 'unspec' }],
    ['v1 UNIX', 1, { family: 'unix', source: { address: '/a', port: 0 }, destination: { address: '/b', port: 0 } }],
    ['v1 TLVs', 1, { family: 'unspec', tlvs: [{ type: 1, value: new Uint8Array(1) }] }],
    ['v1 UDP', 1, { ...tcp4('1.2.3.4', 1, '1.2.3.4', 2), transport: 'dgram' }],
    ['an IPv6 address as inet', 2, tcp4('::1', 1, '1.2.3.4', 2)],
    ['port 65536', 2, tcp4('1.2.3.4', 65536, '1.2.3.4', 2)],
    ['no destination', 2, { family: 'inet', source: { address: '1.2.3.4', port: 1 } }],
    ['a UNIX path of 109 bytes', 2, { family: 'unix', source: { address: 'x'.repeat(109), port: 0 }, destination: { address: '/b', port: 0 } }],
    ['UNSPEC with a stream transport', 2, { family: 'unspec', transport: 'stream' }],
    ['a block over 65535 bytes', 2, { family: 'unspec', tlvs: [{ type: 1, value: new Uint8Array(0xffff) }] }],
  ] as const)('refuses to write %s', (_name, version, fields) => {
    const encode = version === 1 ? encodeProxyHeaderV1 : encodeProxyHeaderV2;
    expect(() => encode(fields as ProxyHeaderFields)).toThrow(expect.objectContaining({ code: 'ERR_RTMP_PROXY_HEADER' }));
  });
});

describe('PROXY protocol header reader: every split', () => {
  it.each(VALID)('$name, followed by RTMP bytes', ({ bytes }) => {
    const wire = Uint8Array.from([...bytes, ...RTMP_START]);
    const whole = decodeProxyHeader(bytes)!;
    for (const sizes of splits(wire.length)) {
      const result = feed(wire, sizes);
      expect(result, `pieces ${sizes.join(',')}`).toEqual({ header: whole, rest: RTMP_START });
    }
  });

  it.each(HOSTILE)('$name: the same error in every split', ({ bytes }) => {
    for (const sizes of splits(bytes.length)) {
      const result = feed(bytes, sizes);
      expect(result instanceof RtmpError ? result.code : result, `pieces ${sizes.join(',')}`).toBe('ERR_RTMP_PROXY_HEADER');
    }
  });

  it('copies no more than the header: a v1 line read ahead of its CRLF hands the rest back', () => {
    const reader = new ProxyHeaderReader();
    const line = ascii('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n');
    expect(reader.push(line.subarray(0, 1))).toEqual({ done: false });
    const step = reader.push(Uint8Array.from([...line.subarray(1), ...RTMP_START, ...new Uint8Array(3000)]));
    expect(step.done && step.rest.length).toBe(RTMP_START.length + 3000);
    expect(() => reader.push(new Uint8Array(1))).toThrow(RangeError);
  });

  it('a smaller maxBytes refuses a v2 header above it at its 16th byte', () => {
    const header = encodeProxyHeaderV2({ ...tcp4('1.2.3.4', 1, '5.6.7.8', 2), tlvs: [{ type: 5, value: new Uint8Array(200) }] });
    expect(feed(header, [16], 200)).toMatchObject({ code: 'ERR_RTMP_PROXY_HEADER', details: { length: 231, limit: 200 } });
    expect(feed(header, [16], 231)).toMatchObject({ header: { byteLength: 231 } });
  });
});
