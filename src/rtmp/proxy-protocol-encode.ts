import { RtmpError } from '../errors/index.js';
import { formatIpv6, parseIpv4, parseIpv6 } from './proxy-address.js';
import { PROXY_V2_ADDRESS_BYTES, PROXY_V2_FAMILY_BYTES, PROXY_V2_UNIX_PATH_BYTES, PROXY_V2_FIXED_BYTES, PROXY_V2_SIGNATURE, type ProxyEndpoint, type ProxyFamily, type ProxyHeaderFields, type ProxyTransport } from './proxy-protocol.js';

/**
 * PROXY protocol writers (haproxy doc/proxy-protocol.txt 2.1, 2.2): what a load balancer sends,
 * for tests, tools and a relay that forwards a client's address. Each computes the size, then
 * writes into one buffer. A header the version cannot express throws ERR_RTMP_PROXY_HEADER.
 */

function unwritable(message: string): RtmpError {
  return new RtmpError('ERR_RTMP_PROXY_HEADER', `PROXY protocol header cannot be written: ${message}`, {});
}

function endpoints(fields: ProxyHeaderFields): [ProxyEndpoint, ProxyEndpoint] {
  if (fields.source === undefined || fields.destination === undefined) throw unwritable(`family ${fields.family} needs a source and a destination`);
  return [fields.source, fields.destination];
}

function port(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw unwritable(`port ${value} is not 0 to 65535`);
  return value;
}

function ipBytes(family: 'inet' | 'inet6', address: string): Uint8Array {
  const bytes = family === 'inet' ? parseIpv4(address) : parseIpv6(address);
  if (bytes === undefined) throw unwritable(`${JSON.stringify(address)} is not an ${family === 'inet' ? 'IPv4' : 'IPv6'} address`);
  return bytes;
}

/**
 * The v1 line: `PROXY TCP4|TCP6 <src> <dst> <sport> <dport>\r\n`, or `PROXY UNKNOWN\r\n` for
 * family 'unspec'. IPv6 addresses are written as hexadecimal groups only (2.1's form; an
 * IPv4-mapped one too). v1 has no LOCAL, no UNIX, no datagrams and no TLVs.
 */
export function encodeProxyHeaderV1(fields: ProxyHeaderFields): Uint8Array {
  if ((fields.command ?? 'proxy') !== 'proxy') throw unwritable('v1 has no LOCAL command');
  if ((fields.tlvs ?? []).length > 0) throw unwritable('v1 has no TLVs');
  let line: string;
  if (fields.family === 'unspec') line = 'PROXY UNKNOWN\r\n';
  else if (fields.family === 'unix') throw unwritable('v1 has no UNIX family');
  else if ((fields.transport ?? 'stream') !== 'stream') throw unwritable('v1 carries TCP only');
  else {
    const family = fields.family;
    const [source, destination] = endpoints(fields);
    const text = (address: string): string => {
      const bytes = ipBytes(family, address);
      return family === 'inet' ? address : hexOnly(bytes);
    };
    line = `PROXY ${family === 'inet' ? 'TCP4' : 'TCP6'} ${text(source.address)} ${text(destination.address)} ${port(source.port)} ${port(destination.port)}\r\n`;
  }
  return Uint8Array.from(line, (c) => c.charCodeAt(0));
}

/** RFC 5952 text without the dotted IPv4 tail formatIpv6 gives a mapped address. */
function hexOnly(bytes: Uint8Array): string {
  const text = formatIpv6(bytes);
  if (!text.includes('.')) return text;
  return `::ffff:${((bytes[12]! << 8) | bytes[13]!).toString(16)}:${((bytes[14]! << 8) | bytes[15]!).toString(16)}`;
}

function familyByte(family: ProxyFamily, transport: ProxyTransport): number {
  for (const [byte, [f, t]] of Object.entries(PROXY_V2_FAMILY_BYTES)) if (f === family && t === transport) return Number(byte);
  throw unwritable(`family ${family} with transport ${transport} has no v2 byte`);
}

/**
 * The v2 block: signature, version 2 and the command, family/transport, length, addresses (zeros
 * for a LOCAL header without them), then the TLVs in order.
 */
export function encodeProxyHeaderV2(fields: ProxyHeaderFields): Uint8Array {
  const command = fields.command ?? 'proxy';
  const transport = fields.transport ?? (fields.family === 'unspec' ? 'unspec' : 'stream');
  const tlvs = fields.tlvs ?? [];
  const addressBytes = PROXY_V2_ADDRESS_BYTES[fields.family];
  const blockBytes = addressBytes + tlvs.reduce((sum, tlv) => sum + 3 + tlv.value.length, 0);
  if (blockBytes > 0xffff) throw unwritable(`a block of ${blockBytes} bytes does not fit the 16-bit length`);
  const out = new Uint8Array(PROXY_V2_FIXED_BYTES + blockBytes);
  out.set(PROXY_V2_SIGNATURE);
  out[12] = 0x20 | (command === 'proxy' ? 1 : 0);
  out[13] = familyByte(fields.family, transport);
  out[14] = blockBytes >> 8;
  out[15] = blockBytes & 0xff;
  let at = PROXY_V2_FIXED_BYTES;
  const hasAddresses = fields.source !== undefined || fields.destination !== undefined;
  if (addressBytes > 0 && (command === 'proxy' || hasAddresses)) writeAddresses(out.subarray(at, at + addressBytes), fields);
  at += addressBytes;
  for (const tlv of tlvs) {
    if (!Number.isInteger(tlv.type) || tlv.type < 0 || tlv.type > 0xff) throw unwritable(`TLV type ${tlv.type} is not a byte`);
    out[at] = tlv.type;
    out[at + 1] = tlv.value.length >> 8;
    out[at + 2] = tlv.value.length & 0xff;
    out.set(tlv.value, at + 3);
    at += 3 + tlv.value.length;
  }
  return out;
}

function writeAddresses(block: Uint8Array, fields: ProxyHeaderFields): void {
  const [source, destination] = endpoints(fields);
  if (fields.family === 'unix') {
    const encoder = new TextEncoder();
    for (const [i, path] of [source.address, destination.address].entries()) {
      const bytes = encoder.encode(path);
      if (bytes.length > PROXY_V2_UNIX_PATH_BYTES || bytes.includes(0)) throw unwritable(`UNIX path ${JSON.stringify(path)} is over ${PROXY_V2_UNIX_PATH_BYTES} bytes or holds a NUL`);
      block.set(bytes, i * PROXY_V2_UNIX_PATH_BYTES);
    }
    return;
  }
  const family = fields.family === 'inet' ? 'inet' : 'inet6';
  const size = family === 'inet' ? 4 : 16;
  block.set(ipBytes(family, source.address), 0);
  block.set(ipBytes(family, destination.address), size);
  for (const [i, value] of [port(source.port), port(destination.port)].entries()) {
    block[2 * size + 2 * i] = value >> 8;
    block[2 * size + 2 * i + 1] = value & 0xff;
  }
}
