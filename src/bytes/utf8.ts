/** UTF-8 byte length of a string without encoding it. */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Decodes UTF-8 bytes (a view) into a string; invalid sequences become U+FFFD, as TextDecoder does. */
export function utf8Decode(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
