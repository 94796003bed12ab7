/**
 * IP addresses as the PROXY protocol carries them (haproxy doc/proxy-protocol.txt 2.1, 2.2) and
 * as the server compares them: text ↔ 16 bytes, and address ranges (`10.0.0.0/8`, `::1/128`)
 * for the list of proxies trusted to send a header. Pure: no node:net, so it is fuzzed and used
 * below the server. Every address is held as 16 bytes, IPv4 as its IPv4-mapped IPv6 form
 * (`::ffff:a.b.c.d`, RFC 4291 2.5.5.2), so `127.0.0.1` and Node's dual-stack `::ffff:127.0.0.1`
 * are one address.
 */

/** A decimal octet without heading zeros: 2.1 forbids them "to avoid any possible confusion with octal numbers". */
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
/** The longest IPv6 text (eight 4-digit groups, or six and a dotted IPv4 tail): longer input is refused before any split. */
const MAX_IPV6_TEXT = 45;
const MAPPED_PREFIX = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff);

/** `a.b.c.d` → 4 bytes, or undefined. */
export function parseIpv4(text: string): Uint8Array | undefined {
  if (!IPV4.test(text)) return undefined;
  return Uint8Array.from(text.split('.'), Number);
}

export function formatIpv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/** The 16-bit groups of one side of `::`; a dotted IPv4 tail (`::ffff:1.2.3.4`, as inet_ntop writes it) only where `v4Tail`. */
function groups(text: string, v4Tail: boolean): number[] | undefined {
  if (text === '') return [];
  const items = text.split(':');
  const out: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (v4Tail && i === items.length - 1 && item.includes('.')) {
      const v4 = parseIpv4(item);
      if (v4 === undefined) return undefined;
      out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else if (HEX_GROUP.test(item)) out.push(parseInt(item, 16));
    else return undefined;
  }
  return out;
}

/** IPv6 text (one `::` at most, no zone index) → 16 bytes, or undefined. */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length > MAX_IPV6_TEXT) return undefined;
  const halves = text.split('::');
  let all: number[] | undefined;
  if (halves.length === 1) all = groups(text, true);
  else if (halves.length === 2) {
    const left = groups(halves[0]!, false);
    const right = groups(halves[1]!, true);
    // `::` stands for at least one zero group (RFC 4291 2.2).
    if (left !== undefined && right !== undefined && left.length + right.length <= 7) all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  }
  if (all?.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

/** Whether 16 bytes are an IPv4-mapped address. */
function isMapped(bytes: Uint8Array): boolean {
  return MAPPED_PREFIX.every((b, i) => bytes[i] === b);
}

/**
 * 16 bytes → RFC 5952 text: lower case, no heading zeros, the longest run of two or more zero
 * groups (the first of equals) as `::`, and an IPv4-mapped address as `::ffff:a.b.c.d` — the form
 * Node gives a dual-stack socket's `remoteAddress`, so a client has one spelling wherever it is seen.
 */
export function formatIpv6(bytes: Uint8Array): string {
  if (isMapped(bytes)) return `::ffff:${formatIpv4(bytes.subarray(12, 16))}`;
  const words = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let end = i;
    while (end < 8 && words[end] === 0) end++;
    if (end - i > bestLength) [bestStart, bestLength] = [i, end - i];
    i = end === i ? i + 1 : end;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Any IPv4 or IPv6 text → its 16-byte form (IPv4 mapped), or undefined. */
export function addressBytes(text: string): Uint8Array | undefined {
  const v4 = parseIpv4(text);
  if (v4 === undefined) return parseIpv6(text);
  const bytes = new Uint8Array(16);
  bytes.set(MAPPED_PREFIX);
  bytes.set(v4, 12);
  return bytes;
}

/** Addresses whose first `prefixBits` bits are those of `bytes` (16-byte form). */
export interface AddressRange {
  readonly bytes: Uint8Array;
  readonly prefixBits: number;
}

/**
 * `a.b.c.d`, `a.b.c.d/n` (n ≤ 32), an IPv6 address or `address/n` (n ≤ 128) → a range, or
 * undefined. An IPv4 prefix counts within the mapped form (n + 96 bits), so `127.0.0.0/8` also
 * holds `::ffff:127.0.0.1`.
 */
export function parseAddressRange(text: string): AddressRange | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const bytes = addressBytes(address);
  if (bytes === undefined) return undefined;
  const v4 = parseIpv4(address) !== undefined;
  const width = v4 ? 32 : 128;
  if (slash < 0) return { bytes, prefixBits: 128 };
  const bitsText = text.slice(slash + 1);
  if (!/^(?:0|[1-9]\d{0,2})$/.test(bitsText) || Number(bitsText) > width) return undefined;
  return { bytes, prefixBits: Number(bitsText) + (v4 ? 96 : 0) };
}

export function rangeIncludes(range: AddressRange, bytes: Uint8Array): boolean {
  const whole = range.prefixBits >> 3;
  for (let i = 0; i < whole; i++) if (bytes[i] !== range.bytes[i]) return false;
  const rest = range.prefixBits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (bytes[whole]! & mask) === (range.bytes[whole]! & mask);
}

/** Whether `address` (any IPv4 or IPv6 text; '' or a non-IP text is in none) is in one of `ranges`. */
export function inAddressRanges(ranges: readonly AddressRange[], address: string): boolean {
  const bytes = addressBytes(address);
  return bytes !== undefined && ranges.some((range) => rangeIncludes(range, bytes));
}
