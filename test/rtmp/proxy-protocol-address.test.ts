import fc from 'fast-check';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { addressBytes, formatIpv4, formatIpv6, inAddressRanges, parseAddressRange, parseIpv4, parseIpv6 } from '../../src/rtmp/proxy-address.js';

/**
 * The addresses of PROXY headers and of the trusted-proxy list, checked against Node's own
 * address code as the oracle: `new URL('http://[…]')` serializes IPv6 (WHATWG: RFC 5952's
 * compression), `net.isIPv6` accepts what a socket can show, `net.BlockList` matches subnets.
 */

const hexOf = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : Buffer.from(bytes).toString('hex'));

describe('IPv4 and IPv6 text', () => {
  it.each([
    ['0.0.0.0', '00000000'],
    ['255.255.255.255', 'ffffffff'],
    ['192.0.2.1', 'c0000201'],
    ['01.2.3.4', undefined],
    ['1.2.3', undefined],
    ['1.2.3.4.5', undefined],
    ['256.1.1.1', undefined],
    [' 1.2.3.4', undefined],
    ['1.2.3.4 ', undefined],
    ['', undefined],
  ])('parseIpv4(%j)', (text, expected) => {
    expect(hexOf(parseIpv4(text))).toBe(expected);
  });

  it.each([
    ['::', '0'.repeat(32), '::'],
    ['::1', '0'.repeat(31) + '1', '::1'],
    ['1::', '0001' + '0'.repeat(28), '1::'],
    ['2001:DB8:0:0:1:0:0:1', '20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201', '::ffff:192.0.2.1'],
    ['::ffff:c000:201', '00000000000000000000ffffc0000201', '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.1', '0064ff9b0000000000000000c0000201', '64:ff9b::c000:201'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008', '1:2:3:4:5:6:7:8'],
  ])('parseIpv6(%j) and back as %s', (text, bytes, canonical) => {
    expect(hexOf(parseIpv6(text))).toBe(bytes);
    expect(formatIpv6(parseIpv6(text)!)).toBe(canonical);
  });

  it.each(['', ':', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '12345::', 'fe80::1%eth0', '::1.2.3.4:5', '1.2.3.4', 'g::1', '::ffff:01.2.3.4', '1:2:3:4:5:6:7::8'])('parseIpv6 refuses %j', (text) => {
    expect(parseIpv6(text)).toBeUndefined();
  });

  it('formatIpv6 writes what the WHATWG URL serializer writes (IPv4-mapped aside)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.boolean(), (bytes, sparse) => {
        // Half the runs with zero groups, where compression rules matter.
        if (sparse) for (let i = 0; i < 16; i += 2) if (bytes[i]! & 1) bytes.fill(0, i, i + 2);
        const text = formatIpv6(bytes);
        if (text.includes('.')) return;
        expect(new URL(`http://[${text}]/`).hostname).toBe(`[${text}]`);
        expect(hexOf(parseIpv6(text))).toBe(hexOf(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('parseIpv6 accepts what net.isIPv6 accepts, zone indexes aside, and the bytes agree with the URL parser', () => {
    const group = fc.integer({ min: 0, max: 0xffff }).map((g) => g.toString(16));
    const text = fc.oneof(
      fc.array(group, { minLength: 8, maxLength: 8 }).map((g) => g.join(':')),
      fc.tuple(fc.array(group, { maxLength: 3 }), fc.array(group, { maxLength: 3 })).map(([a, b]) => `${a.join(':')}::${b.join(':')}`),
      fc.tuple(fc.array(group, { maxLength: 4 }), fc.uint8Array({ minLength: 4, maxLength: 4 })).map(([a, v4]) => `${a.join(':')}::${formatIpv4(v4)}`),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdef:.'), maxLength: 45 }),
    );
    fc.assert(
      fc.property(text, (candidate) => {
        const ours = parseIpv6(candidate);
        expect(ours !== undefined, candidate).toBe(net.isIPv6(candidate));
        if (ours !== undefined && !formatIpv6(ours).includes('.')) expect(new URL(`http://[${candidate}]/`).hostname).toBe(`[${formatIpv6(ours)}]`);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('trusted proxy ranges', () => {
  it.each([
    ['127.0.0.0/8', '127.0.0.1', true],
    ['127.0.0.0/8', '127.255.1.2', true],
    ['127.0.0.0/8', '::ffff:127.0.0.1', true],
    ['127.0.0.0/8', '128.0.0.1', false],
    ['127.0.0.0/8', '::1', false],
    ['::1', '::1', true],
    ['::1', '0:0:0:0:0:0:0:1', true],
    ['::1', '::2', false],
    ['::1', '127.0.0.1', false],
    ['10.1.2.3', '10.1.2.3', true],
    ['10.1.2.3', '10.1.2.4', false],
    ['10.1.2.3/31', '10.1.2.2', true],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['::/0', '203.0.113.9', true],
    ['fd00::/8', 'fdab::1', true],
    ['fd00::/8', 'fe00::1', false],
    ['::ffff:10.0.0.0/104', '10.9.9.9', true],
    ['127.0.0.0/8', '', false],
    ['127.0.0.0/8', 'localhost', false],
  ])('%s holds %j: %s', (range, address, expected) => {
    expect(inAddressRanges([parseAddressRange(range)!], address)).toBe(expected);
  });

  it.each(['', '/8', '10.0.0.0/', '10.0.0.0/33', '10.0.0.0/08', '::1/129', 'fe80::1%eth0/64', 'localhost', '10.0.0.0/8/8', '10.0.0.0 /8'])('refuses the range %j', (text) => {
    expect(parseAddressRange(text)).toBeUndefined();
  });

  it('matches as net.BlockList does, IPv4 and IPv6 subnets alike', () => {
    const v4 = fc.tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }).map(formatIpv4), fc.integer({ min: 0, max: 32 }), fc.constant('ipv4' as const));
    const v6 = fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }).map(formatIpv6), fc.integer({ min: 0, max: 128 }), fc.constant('ipv6' as const));
    fc.assert(
      fc.property(fc.oneof(v4, v6), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat(), ([network, prefix, type], noise, keepBits) => {
        // A probe address sharing a random number of leading bits with the network.
        const base = addressBytes(network)!;
        const probe = Uint8Array.from(base, (b, i) => (i * 8 + 8 <= keepBits % 129 ? b : noise[i]!));
        const probeText = type === 'ipv4' ? formatIpv4(probe.subarray(12)) : formatIpv6(probe);
        const list = new net.BlockList();
        list.addSubnet(network, prefix, type);
        const ours = inAddressRanges([parseAddressRange(`${network}/${prefix}`)!], probeText);
        expect(ours, `${probeText} in ${network}/${prefix}`).toBe(list.check(probeText, type));
      }),
      { numRuns: 1000 },
    );
  });
});
