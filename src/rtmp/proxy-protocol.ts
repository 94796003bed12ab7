import { RtmpError } from '../errors/index.js';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from './proxy-address.js';

/**
 * The PROXY protocol header a load balancer (HAProxy `send-proxy-v2`, nginx `proxy_protocol`, AWS
 * NLB) puts before the bytes it relays, so the origin learns the client's address (haproxy
 * doc/proxy-protocol.txt, "the spec" below). Sans-I/O: `ProxyHeaderReader.push` takes bytes as they
 * arrive and says "more" or gives the header and the bytes after it; a violation throws an
 * RtmpError ERR_RTMP_PROXY_HEADER naming the offset. It decodes what was sent; what the server
 * makes of it (LOCAL, UNSPEC) is `clientEndpoint`'s rule.
 */

export type ProxyCommand = 'proxy' | 'local';
export type ProxyFamily = 'inet' | 'inet6' | 'unix' | 'unspec';
export type ProxyTransport = 'stream' | 'dgram' | 'unspec';

/** An address and port; a UNIX socket's path with port 0. */
export interface ProxyEndpoint {
  readonly address: string;
  readonly port: number;
}

/** A v2 Type-Length-Value vector (2.2), kept raw: PP2_TYPE_ALPN 0x01, AUTHORITY 0x02, CRC32C 0x03, UNIQUE_ID 0x05, SSL 0x20, … */
export interface ProxyTlv {
  readonly type: number;
  readonly value: Uint8Array;
}

/** What an encoder takes; a decoded ProxyHeader is one, so a header re-encodes as it came. */
export interface ProxyHeaderFields {
  /** v2 only: 'local' is the proxy's own connection (a health check). Default 'proxy'. */
  readonly command?: ProxyCommand;
  readonly family: ProxyFamily;
  /** Default 'stream' ('unspec' with family 'unspec'). */
  readonly transport?: ProxyTransport;
  /** The client as the proxy saw it: undefined with family 'unspec', and in a decoded LOCAL header. */
  readonly source?: ProxyEndpoint | undefined;
  /** The address and port the client connected to (the proxy's listener). */
  readonly destination?: ProxyEndpoint | undefined;
  /** v2 only. */
  readonly tlvs?: readonly ProxyTlv[];
}

export interface ProxyHeader extends ProxyHeaderFields {
  readonly version: 1 | 2;
  readonly command: ProxyCommand;
  readonly transport: ProxyTransport;
  readonly tlvs: readonly ProxyTlv[];
  /** Bytes the header took on the wire. */
  readonly byteLength: number;
}

/** 107 bytes, CRLF included: the spec's longest v1 line ("PROXY UNKNOWN" with two IPv6 addresses and ports, 2.1). */
export const PROXY_V1_MAX_BYTES = 107;
/** The v2 signature (2.2): a NUL at byte 5 and "QUIT", so no text protocol mistakes it for a request. */
export const PROXY_V2_SIGNATURE = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a);
/** Signature, version/command, family/transport and the 16-bit length: the fixed part of v2. */
export const PROXY_V2_FIXED_BYTES = 16;
/**
 * 2048 bytes: the largest v2 header read (`maxBytes`). Addresses take at most 216 (AF_UNIX);
 * HAProxy's TLVs (SSL with its version, cipher and certificate CN, a unique id of at most 128
 * bytes, ALPN, authority) and AWS's VPC endpoint id stay far below 1 KiB. A declared length
 * above it is refused at the 16th byte, before anything else is waited for.
 */
export const DEFAULT_PROXY_V2_MAX_BYTES = 2048;

const V1_PREFIX = Uint8Array.from('PROXY ', (c) => c.charCodeAt(0));
/** Address block sizes (2.2): two addresses and, for INET/INET6, two ports. */
export const PROXY_V2_ADDRESS_BYTES: Readonly<Record<ProxyFamily, number>> = { unspec: 0, inet: 12, inet6: 36, unix: 216 };
/** The 14th byte's values the spec expects ("In practice, …", 2.2); any other is refused. */
export const PROXY_V2_FAMILY_BYTES: Readonly<Record<number, readonly [ProxyFamily, ProxyTransport]>> = {
  0x00: ['unspec', 'unspec'],
  0x11: ['inet', 'stream'],
  0x12: ['inet', 'dgram'],
  0x21: ['inet6', 'stream'],
  0x22: ['inet6', 'dgram'],
  0x31: ['unix', 'stream'],
  0x32: ['unix', 'dgram'],
};
/** A sockaddr_un path field: 108 bytes, NUL-padded. */
export const PROXY_V2_UNIX_PATH_BYTES = 108;

function invalid(message: string, offset: number, extra: Record<string, string | number> = {}): RtmpError {
  return new RtmpError('ERR_RTMP_PROXY_HEADER', `PROXY protocol header: ${message}`, { offset, ...extra });
}

export type ProxyHeaderStep = { readonly done: false } | { readonly done: true; readonly header: ProxyHeader; readonly rest: Uint8Array };

/**
 * Reads one header from a connection's first bytes, in any chunking. It copies at most the
 * header's own bytes (≤ `maxBytes`): `rest`, the bytes after the header, is a view of the chunk
 * that completed it; a header's TLV values are views of the reader's copy. A prefix that no
 * header starts with (RTMP's C0 0x03, an HTTP request) is refused at its first wrong byte.
 */
export class ProxyHeaderReader {
  readonly maxBytes: number;
  #held: Uint8Array;
  #length = 0;
  #done = false;

  constructor(maxBytes = DEFAULT_PROXY_V2_MAX_BYTES) {
    this.maxBytes = Math.max(maxBytes, PROXY_V1_MAX_BYTES);
    this.#held = new Uint8Array(PROXY_V1_MAX_BYTES);
  }

  /** Bytes held so far (a header not yet complete). */
  get heldBytes(): number {
    return this.#length;
  }

  push(bytes: Uint8Array): ProxyHeaderStep {
    if (this.#done) throw new RangeError('ProxyHeaderReader.push after the header was read');
    let offset = 0;
    while (offset < bytes.length) {
      const want = this.#wanted() - this.#length;
      const take = Math.min(want, bytes.length - offset);
      // decodeProxyHeader decides at the length #wanted allows: an undecided full header would loop.
      if (take <= 0) throw new RangeError(`ProxyHeaderReader: no progress at ${this.#length} bytes`);
      this.#hold(bytes.subarray(offset, offset + take));
      offset += take;
      const header = decodeProxyHeader(this.#held.subarray(0, this.#length), this.maxBytes);
      if (header !== undefined) {
        this.#done = true;
        // A v1 line is read ahead of its CRLF: what was copied past the header goes back to `rest`.
        return { done: true, header, rest: bytes.subarray(offset - (this.#length - header.byteLength)) };
      }
    }
    return { done: false };
  }

  /** How many bytes the header may take, as far as the bytes held tell: the v1 line's cap, 16, or 16 + the declared length. */
  #wanted(): number {
    if (this.#length === 0 || this.#held[0] !== PROXY_V2_SIGNATURE[0]) return this.#length === 0 ? 1 : PROXY_V1_MAX_BYTES;
    if (this.#length < PROXY_V2_FIXED_BYTES) return PROXY_V2_FIXED_BYTES;
    return PROXY_V2_FIXED_BYTES + ((this.#held[14]! << 8) | this.#held[15]!);
  }

  #hold(bytes: Uint8Array): void {
    if (this.#length + bytes.length > this.#held.length) {
      const grown = new Uint8Array(Math.min(this.maxBytes, Math.max(this.#length + bytes.length, this.#held.length * 2)));
      grown.set(this.#held.subarray(0, this.#length));
      this.#held = grown;
    }
    this.#held.set(bytes, this.#length);
    this.#length += bytes.length;
  }
}

/**
 * One header from the start of `bytes`: the header, or undefined when `bytes` is a valid start of
 * one that needs more; throws ERR_RTMP_PROXY_HEADER at the first byte that proves it is not one.
 * Reads at most `maxBytes` (v1: at most 107).
 */
export function decodeProxyHeader(bytes: Uint8Array, maxBytes = DEFAULT_PROXY_V2_MAX_BYTES): ProxyHeader | undefined {
  if (bytes.length === 0) return undefined;
  if (bytes[0] === PROXY_V2_SIGNATURE[0]) return decodeV2(bytes, maxBytes);
  if (bytes[0] === V1_PREFIX[0]) return decodeV1(bytes.subarray(0, PROXY_V1_MAX_BYTES));
  throw invalid(`the connection starts with byte 0x${bytes[0]!.toString(16).padStart(2, '0')}, not "PROXY " (v1) nor the v2 signature`, 0, { byte: bytes[0]! });
}

// --- Version 1: one US-ASCII line (2.1) ------------------------------------------------------

const PORT_TEXT = /^(?:0|[1-9]\d{0,4})$/;

function decodeV1(bytes: Uint8Array): ProxyHeader | undefined {
  for (let i = 0; i < Math.min(bytes.length, V1_PREFIX.length); i++) {
    if (bytes[i] !== V1_PREFIX[i]) throw invalid('not a v1 line: it must start with "PROXY "', i);
  }
  for (let i = V1_PREFIX.length; i < bytes.length; i++) {
    const byte = bytes[i]!;
    // "The receiver must not tolerate a single CR or LF character to end the line" (2.1).
    if (byte === 0x0a) throw invalid('a v1 line ends with LF without CR', i);
    if (byte !== 0x0d) continue;
    if (i + 1 === bytes.length) {
      if (bytes.length < PROXY_V1_MAX_BYTES) return undefined;
      throw invalid(`a v1 line's CR is its ${PROXY_V1_MAX_BYTES}th byte: no room for the LF`, i);
    }
    if (bytes[i + 1] !== 0x0a) throw invalid('a v1 line has CR without LF', i);
    return v1Line(bytes.subarray(0, i), i + 2);
  }
  if (bytes.length >= PROXY_V1_MAX_BYTES) throw invalid(`no CRLF in the first ${PROXY_V1_MAX_BYTES} bytes of a v1 line`, PROXY_V1_MAX_BYTES);
  return undefined;
}

function v1Line(line: Uint8Array, byteLength: number): ProxyHeader {
  const common = { version: 1 as const, command: 'proxy' as const, tlvs: [], byteLength };
  const protocolEnd = line.indexOf(0x20, V1_PREFIX.length);
  const protocol = String.fromCharCode(...line.subarray(V1_PREFIX.length, protocolEnd < 0 ? line.length : protocolEnd));
  // "For UNKNOWN, … the receiver must ignore anything presented before the CRLF" (2.1).
  if (protocol === 'UNKNOWN') return { ...common, family: 'unspec', transport: 'unspec', source: undefined, destination: undefined };
  if (protocol !== 'TCP4' && protocol !== 'TCP6') throw invalid(`v1 protocol ${JSON.stringify(protocol.slice(0, 16))} is not TCP4, TCP6 or UNKNOWN`, V1_PREFIX.length);
  for (let i = 0; i < line.length; i++) {
    if (line[i]! < 0x20 || line[i]! > 0x7e) throw invalid('a v1 line holds a byte outside printable US-ASCII', i);
  }
  const fields = String.fromCharCode(...line).split(' ');
  if (fields.length !== 6) throw invalid(`a v1 ${protocol} line has ${fields.length} fields separated by single spaces, not 6`, V1_PREFIX.length);
  const parse = protocol === 'TCP4' ? parseIpv4 : parseIpv6;
  const format = protocol === 'TCP4' ? formatIpv4 : formatIpv6;
  const endpoint = (addressText: string, portText: string, which: string): ProxyEndpoint => {
    const address = parse(addressText);
    if (address === undefined) throw invalid(`v1 ${which} address ${JSON.stringify(addressText)} is not ${protocol === 'TCP4' ? 'an IPv4' : 'an IPv6'} address in canonical form`, V1_PREFIX.length + 5);
    if (!PORT_TEXT.test(portText) || Number(portText) > 0xffff) throw invalid(`v1 ${which} port ${JSON.stringify(portText)} is not 0 to 65535 without heading zeros`, V1_PREFIX.length + 5);
    return { address: format(address), port: Number(portText) };
  };
  const source = endpoint(fields[2]!, fields[4]!, 'source');
  const destination = endpoint(fields[3]!, fields[5]!, 'destination');
  return { ...common, family: protocol === 'TCP4' ? 'inet' : 'inet6', transport: 'stream', source, destination };
}

// --- Version 2: binary (2.2) -----------------------------------------------------------------

function decodeV2(bytes: Uint8Array, maxBytes: number): ProxyHeader | undefined {
  const signatureBytes = Math.min(bytes.length, PROXY_V2_SIGNATURE.length);
  for (let i = 0; i < signatureBytes; i++) {
    if (bytes[i] !== PROXY_V2_SIGNATURE[i]) throw invalid('not the v2 signature', i);
  }
  if (bytes.length <= 12) return undefined;
  const version = bytes[12]! >> 4;
  const commandBits = bytes[12]! & 0x0f;
  if (version !== 2) throw invalid(`v2 version ${version}: only 2 is defined`, 12, { version });
  // "Receivers must drop connections presenting unexpected values here" (2.2).
  if (commandBits > 1) throw invalid(`v2 command ${commandBits}: only LOCAL (0) and PROXY (1) are defined`, 12, { command: commandBits });
  const command: ProxyCommand = commandBits === 1 ? 'proxy' : 'local';
  if (bytes.length <= 13) return undefined;
  // LOCAL: "discard the protocol block including the family which is ignored" (2.2).
  const kind = PROXY_V2_FAMILY_BYTES[bytes[13]!] ?? (command === 'local' ? PROXY_V2_FAMILY_BYTES[0]! : undefined);
  if (kind === undefined) throw invalid(`v2 family and transport byte 0x${bytes[13]!.toString(16).padStart(2, '0')} is not one of the spec's`, 13, { byte: bytes[13]! });
  if (bytes.length < PROXY_V2_FIXED_BYTES) return undefined;
  const blockBytes = (bytes[14]! << 8) | bytes[15]!;
  const byteLength = PROXY_V2_FIXED_BYTES + blockBytes;
  if (byteLength > maxBytes) throw invalid(`v2 header of ${byteLength} bytes, above the ${maxBytes} read`, 14, { length: byteLength, limit: maxBytes });
  const [family, transport] = kind;
  const addressBytes = command === 'local' ? 0 : PROXY_V2_ADDRESS_BYTES[family];
  if (blockBytes < addressBytes) throw invalid(`v2 block of ${blockBytes} bytes is shorter than the ${addressBytes} of a ${family} address`, 14, { length: blockBytes });
  if (bytes.length < byteLength) return undefined;
  const common = { version: 2 as const, command, family, transport, byteLength };
  // LOCAL: "must use the real connection endpoints"; UNSPEC: "should ignore address information"
  // (2.2). Both skip the block whole: TLVs are read after a block's addresses only.
  if (command === 'local' || family === 'unspec') return { ...common, source: undefined, destination: undefined, tlvs: [] };
  const block = bytes.subarray(PROXY_V2_FIXED_BYTES, byteLength);
  const [source, destination] = v2Addresses(family, block);
  return { ...common, source, destination, tlvs: v2Tlvs(block, addressBytes) };
}

function v2Addresses(family: ProxyFamily, block: Uint8Array): [ProxyEndpoint, ProxyEndpoint] {
  const port = (at: number): number => (block[at]! << 8) | block[at + 1]!;
  if (family === 'inet') return [{ address: formatIpv4(block.subarray(0, 4)), port: port(8) }, { address: formatIpv4(block.subarray(4, 8)), port: port(10) }];
  if (family === 'inet6') return [{ address: formatIpv6(block.subarray(0, 16)), port: port(32) }, { address: formatIpv6(block.subarray(16, 32)), port: port(34) }];
  return [{ address: unixPath(block.subarray(0, PROXY_V2_UNIX_PATH_BYTES)), port: 0 }, { address: unixPath(block.subarray(PROXY_V2_UNIX_PATH_BYTES, 2 * PROXY_V2_UNIX_PATH_BYTES)), port: 0 }];
}

const utf8 = new TextDecoder();

/** A sockaddr_un path: up to its first NUL. */
function unixPath(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return utf8.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

function v2Tlvs(block: Uint8Array, from: number): ProxyTlv[] {
  const tlvs: ProxyTlv[] = [];
  let at = from;
  while (at < block.length) {
    if (block.length - at < 3) throw invalid(`a v2 TLV header cut after ${block.length - at} of its 3 bytes`, PROXY_V2_FIXED_BYTES + at);
    const length = (block[at + 1]! << 8) | block[at + 2]!;
    if (at + 3 + length > block.length) throw invalid(`a v2 TLV of type 0x${block[at]!.toString(16)} declares ${length} bytes, ${block.length - at - 3} remain`, PROXY_V2_FIXED_BYTES + at, { length });
    tlvs.push({ type: block[at]!, value: block.subarray(at + 3, at + 3 + length) });
    at += 3 + length;
  }
  return tlvs;
}

/**
 * The client a header names, or undefined where the server keeps the TCP peer's address: a LOCAL
 * header (the proxy's own health check), UNSPEC or v1 UNKNOWN (2.1: "use the real connection's
 * parameters"), a UNIX socket (no IP address to limit or authorize by) and a datagram transport
 * (not a TCP client).
 */
export function clientEndpoint(header: ProxyHeader): ProxyEndpoint | undefined {
  if (header.command !== 'proxy' || header.transport !== 'stream') return undefined;
  return header.family === 'inet' || header.family === 'inet6' ? header.source : undefined;
}
