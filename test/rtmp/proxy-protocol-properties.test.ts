import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RtmpError } from '../../src/errors/index.js';
import { formatIpv4, formatIpv6 } from '../../src/rtmp/proxy-address.js';
import { encodeProxyHeaderV1, encodeProxyHeaderV2 } from '../../src/rtmp/proxy-protocol-encode.js';
import { DEFAULT_PROXY_V2_MAX_BYTES, PROXY_V1_MAX_BYTES, PROXY_V2_SIGNATURE, type ProxyHeader, type ProxyHeaderFields } from '../../src/rtmp/proxy-protocol.js';
import { corpus, expectOutcome, expectTableMatchesCorpus, replay, withCorpusHint, type Expected } from '../helpers/corpus.js';
import { feed } from '../helpers/proxy-header.js';

/**
 * Properties of the PROXY protocol reader and writers: what is written reads back the same in any
 * chunking, and arbitrary bytes end in a header, "more", or ERR_RTMP_PROXY_HEADER — never another
 * throw, and never more bytes held than the cap. Then the committed corpus
 * (fixtures/corpus/proxy-protocol/, its README.md) replayed with every outcome pinned.
 */

const port = fc.integer({ min: 0, max: 0xffff });
const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map(formatIpv4);
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(formatIpv6);
const endpoint = (address: fc.Arbitrary<string>) => fc.record({ address, port });
const unixPath = fc.string({ unit: fc.constantFrom(...'/abcxyz._-0123456789é'), maxLength: 50 }).map((path) => ({ address: path, port: 0 }));
const tlv = fc.record({ type: fc.integer({ min: 0, max: 255 }), value: fc.uint8Array({ maxLength: 300 }) });
const tlvs = fc.array(tlv, { maxLength: 5 });
const pieces = fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 });
/** Bytes after the header: what the RTMP handshake gets. */
const after = fc.uint8Array({ maxLength: 100 });

const v2Fields: fc.Arbitrary<ProxyHeaderFields> = fc.oneof(
  fc.record({ command: fc.constant('proxy' as const), family: fc.constant('inet' as const), transport: fc.constantFrom('stream' as const, 'dgram' as const), source: endpoint(ipv4), destination: endpoint(ipv4), tlvs }),
  fc.record({ command: fc.constant('proxy' as const), family: fc.constant('inet6' as const), transport: fc.constantFrom('stream' as const, 'dgram' as const), source: endpoint(ipv6), destination: endpoint(ipv6), tlvs }),
  fc.record({ command: fc.constant('proxy' as const), family: fc.constant('unix' as const), transport: fc.constantFrom('stream' as const, 'dgram' as const), source: unixPath, destination: unixPath, tlvs }),
  fc.record({ command: fc.constantFrom('proxy' as const, 'local' as const), family: fc.constant('unspec' as const) }),
);

const v1Fields: fc.Arbitrary<ProxyHeaderFields> = fc.oneof(
  fc.record({ family: fc.constant('inet' as const), source: endpoint(ipv4), destination: endpoint(ipv4) }),
  fc.record({ family: fc.constant('inet6' as const), source: endpoint(ipv6), destination: endpoint(ipv6) }),
  fc.constant({ family: 'unspec' as const }),
);

/** What a decoded header must hold for `fields`: defaults filled in; addresses and TLVs gone where the block is skipped. */
function expectedHeader(fields: ProxyHeaderFields, version: 1 | 2, byteLength: number): ProxyHeader {
  const command = fields.command ?? 'proxy';
  const skipped = command === 'local' || fields.family === 'unspec';
  return {
    version,
    command,
    family: fields.family,
    transport: fields.transport ?? (fields.family === 'unspec' ? 'unspec' : 'stream'),
    source: skipped ? undefined : fields.source,
    destination: skipped ? undefined : fields.destination,
    tlvs: skipped ? [] : (fields.tlvs ?? []),
    byteLength,
  };
}

describe('PROXY protocol properties', () => {
  it('v2: encode → read in any chunking → the same header, and the bytes after it untouched', () => {
    fc.assert(
      fc.property(v2Fields, after, pieces, (fields, tail, sizes) => {
        const header = encodeProxyHeaderV2(fields);
        fc.pre(header.length <= DEFAULT_PROXY_V2_MAX_BYTES);
        const result = feed(Uint8Array.from([...header, ...tail]), sizes);
        expect(result).toEqual({ header: expectedHeader(fields, 2, header.length), rest: tail });
      }),
      withCorpusHint('proxy-protocol', { numRuns: 300 }),
    );
  });

  it('v1: encode → read in any chunking → the same header, within 107 bytes', () => {
    fc.assert(
      fc.property(v1Fields, after, pieces, (fields, tail, sizes) => {
        const header = encodeProxyHeaderV1(fields);
        expect(header.length).toBeLessThanOrEqual(PROXY_V1_MAX_BYTES);
        const result = feed(Uint8Array.from([...header, ...tail]), sizes);
        expect(result).toEqual({ header: expectedHeader(fields, 1, header.length), rest: tail });
      }),
      withCorpusHint('proxy-protocol', { numRuns: 300 }),
    );
  });

  /** Arbitrary bytes that often start like a header, so the fuzzer gets past the first byte. */
  const start = fc.constantFrom(new Uint8Array(0), Uint8Array.from('PROXY ', (c) => c.charCodeAt(0)), Uint8Array.from('PROXY TCP4 ', (c) => c.charCodeAt(0)), PROXY_V2_SIGNATURE, Uint8Array.from([...PROXY_V2_SIGNATURE, 0x21]));
  const noise = fc.tuple(start, fc.uint8Array({ maxLength: 3000 })).map(([head, rest]) => Uint8Array.from([...head, ...rest]));

  it('arbitrary bytes: a header, "more" below the cap, or ERR_RTMP_PROXY_HEADER; nothing held past the cap', () => {
    fc.assert(
      fc.property(noise, pieces, fc.constantFrom(undefined, 300), (bytes, sizes, maxBytes) => {
        const cap = Math.max(maxBytes ?? DEFAULT_PROXY_V2_MAX_BYTES, PROXY_V1_MAX_BYTES);
        const result = feed(bytes, sizes, maxBytes);
        if (result instanceof RtmpError) expect(result.code).toBe('ERR_RTMP_PROXY_HEADER');
        else if (result === 'waiting') expect(bytes.length).toBeLessThan(cap);
        else {
          expect(result.header.byteLength).toBeLessThanOrEqual(cap);
          expect(result.header.byteLength + result.rest.length).toBe(bytes.length);
        }
      }),
      withCorpusHint('proxy-protocol', { numRuns: 500 }),
    );
  });

  it('valid headers with one byte changed: a header or ERR_RTMP_PROXY_HEADER, whatever the chunking', () => {
    const mutated = fc.tuple(fc.oneof(v2Fields.map(encodeProxyHeaderV2), v1Fields.map(encodeProxyHeaderV1)), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([header, at, byte]) => {
      const copy = Uint8Array.from(header);
      copy[at % copy.length] = byte;
      return copy;
    });
    fc.assert(
      fc.property(mutated, pieces, (bytes, sizes) => {
        const result = feed(bytes, sizes);
        if (result instanceof RtmpError) expect(result.code).toBe('ERR_RTMP_PROXY_HEADER');
        else if (result !== 'waiting') expect(result.header.byteLength + result.rest.length).toBe(bytes.length);
      }),
      withCorpusHint('proxy-protocol', { numRuns: 500 }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The corpus: each file whole and in 7-byte pieces, the same outcome.

type Read = { readonly header: ProxyHeader; readonly restBytes: number } | 'waiting';

const client = (address: string, port: number, version: 1 | 2) => (read: Read) => {
  expect(read).not.toBe('waiting');
  const { header } = read as Exclude<Read, 'waiting'>;
  expect([header.version, header.command, header.source]).toEqual([version, 'proxy', { address, port }]);
};

const files = corpus('proxy-protocol');
const EXPECTED: Readonly<Record<string, Expected<Read>>> = {
  'valid-haproxy-send-proxy-v2.bin': client('127.0.0.1', 40_000, 2),
  'valid-haproxy-send-proxy-v1.bin': client('127.0.0.1', 40_001, 1),
  'valid-v2-tcp6-with-tlvs.bin': (read) => {
    client('2001:db8::7', 50_000, 2)(read);
    expect((read as Exclude<Read, 'waiting'>).header.tlvs.map((t) => t.type)).toEqual([0x02, 0x05, 0x20]);
  },
  'valid-v2-local.bin': (read) => expect(read).toMatchObject({ header: { command: 'local', source: undefined } }),
  'valid-v1-unknown.bin': (read) => expect(read).toMatchObject({ header: { family: 'unspec', byteLength: 15 }, restBytes: 0 }),
  'truncated-v2-inside-addresses.bin': (read) => expect(read).toBe('waiting'),
  'truncated-v1-before-crlf.bin': (read) => expect(read).toBe('waiting'),
  'hostile-rtmp-c0c1.bin': 'ERR_RTMP_PROXY_HEADER',
  'hostile-http-get.bin': 'ERR_RTMP_PROXY_HEADER',
  'hostile-v1-no-crlf.bin': 'ERR_RTMP_PROXY_HEADER',
  'hostile-v1-lf-only.bin': 'ERR_RTMP_PROXY_HEADER',
  'hostile-v1-spoofed-octal.bin': 'ERR_RTMP_PROXY_HEADER',
  'hostile-v2-length-65535.bin': 'ERR_RTMP_PROXY_HEADER',
  'hostile-v2-version-1.bin': 'ERR_RTMP_PROXY_HEADER',
  'hostile-v2-command-15.bin': 'ERR_RTMP_PROXY_HEADER',
  'hostile-v2-family-ff.bin': 'ERR_RTMP_PROXY_HEADER',
  'hostile-v2-short-inet-block.bin': 'ERR_RTMP_PROXY_HEADER',
  'hostile-v2-tlv-overrun.bin': 'ERR_RTMP_PROXY_HEADER',
  'hostile-v2-tlvs-to-the-cap.bin': 'ERR_RTMP_PROXY_HEADER',
};

function read(bytes: Uint8Array, sizes: readonly number[]): Read {
  const result = feed(bytes, sizes);
  if (result instanceof RtmpError) throw result;
  return result === 'waiting' ? result : { header: result.header, restBytes: result.rest.length };
}

describe('PROXY protocol corpus (fixtures/corpus/proxy-protocol/)', () => {
  it('every valid sample has an expectation, and every expectation a file', () => {
    expectTableMatchesCorpus(files, EXPECTED);
  });

  it.each(files)('$name', (file) => {
    const whole = replay(file, RtmpError, (bytes) => read(bytes, [bytes.length || 1]));
    const pieces = replay(file, RtmpError, (bytes) => read(bytes, [7]));
    expect(pieces.ok ? pieces.value : pieces.error.code).toEqual(whole.ok ? whole.value : whole.error.code);
    expectOutcome(whole, EXPECTED[file.name]);
  });
});
