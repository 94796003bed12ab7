import type { ByteReader } from '../bytes/index.js';
import { Amf3ValueReader } from './amf3-decode.js';
import { resolveAmfLimits, type AmfLimits } from './limits.js';
import { AMF0_MARKER as M } from './markers.js';
import { amfReader, badReference, checkDeclaredCount, checkItems, enterContainer, readUtf8, unknownMarker } from './read-checks.js';
import { AmfEcmaArray, AmfTypedObject, setEntry, type AmfObject, type AmfValue } from './types.js';

/**
 * Decodes a sequence of AMF0 values from one contiguous buffer (an RTMP command or data message
 * body). The reference table (AMF0 2.9) lives as long as the decoder, so a reference in a later
 * argument of the same message resolves to an object decoded in an earlier one.
 *
 * Every failure is an AmfError: running out of bytes is ERR_AMF_TRUNCATED, and counts, lengths and
 * nesting are checked against `limits` before anything is allocated or recursed into. Decoded
 * strings are copies; nothing returned keeps `buf` alive.
 */
export class Amf0Decoder {
  private readonly reader: ByteReader;
  private readonly limits: AmfLimits;
  /** Objects, typed objects, ECMA and strict arrays in the order their markers appeared. */
  private readonly refs: AmfValue[] = [];

  constructor(buf: Uint8Array, limits?: Partial<AmfLimits>) {
    this.limits = resolveAmfLimits(limits);
    this.reader = amfReader(buf);
  }

  /** True once every byte has been consumed. */
  get done(): boolean {
    return this.reader.remaining === 0;
  }

  /** Offset of the next unread byte in `buf`. */
  get offset(): number {
    return this.reader.pos;
  }

  /** Decodes the next value; throws ERR_AMF_TRUNCATED when called with nothing left. */
  next(): AmfValue {
    return this.value(0);
  }

  private value(depth: number): AmfValue {
    const r = this.reader;
    const at = r.pos;
    const marker = r.u8();
    switch (marker) {
      case M.number:
        return r.f64();
      case M.boolean:
        return r.u8() !== 0;
      case M.string:
        return readUtf8(r, r.u16(), this.limits);
      case M.object:
        return this.object(depth);
      case M.null:
        return null;
      case M.undefined:
      case M.unsupported:
        return undefined;
      case M.reference:
        return this.reference();
      case M.ecmaArray:
        return this.ecmaArray(depth);
      case M.strictArray:
        return this.strictArray(depth);
      case M.date:
        return this.date();
      case M.longString:
      case M.xmlDocument:
        return readUtf8(r, r.u32(), this.limits);
      case M.typedObject:
        return this.typedObject(depth);
      case M.avmplusObject:
        // AMF0 3.1: one AMF3 value follows. Its reference tables start empty, so an AMF3
        // reference can never reach into another switched value; its nesting counts toward
        // the same maxDepth as the AMF0 containers around it.
        return new Amf3ValueReader(r, this.limits).value(depth);
      default:
        // movieclip (2.6) and recordset (2.16) are reserved; a bare object-end (2.11) outside an
        // object and anything above 0x11 are not values.
        throw unknownMarker(marker, 'AMF0 marker', at);
    }
  }

  /** AMF0 2.5: key/value pairs up to the object-end marker. */
  private object(parentDepth: number): AmfObject {
    const depth = enterContainer(parentDepth, this.limits, this.reader);
    const object: AmfObject = {};
    this.refs.push(object);
    this.properties(object, depth, Infinity);
    return object;
  }

  /**
   * AMF0 2.10: the u32 count is only a hint (encoders write 0 or a stale count), so the entries
   * run to the object-end marker like an object's. The one use of the count: a buffer that ends
   * right after that many entries, with no marker, is accepted as the end.
   */
  private ecmaArray(parentDepth: number): AmfEcmaArray {
    const declaredCount = this.reader.u32();
    const depth = enterContainer(parentDepth, this.limits, this.reader);
    const array = new AmfEcmaArray();
    this.refs.push(array);
    this.properties(array, depth, declaredCount);
    return array;
  }

  /** AMF0 2.18: a class name, then properties as in an anonymous object. */
  private typedObject(parentDepth: number): AmfTypedObject {
    const className = readUtf8(this.reader, this.reader.u16(), this.limits);
    const depth = enterContainer(parentDepth, this.limits, this.reader);
    const typed = new AmfTypedObject(className);
    this.refs.push(typed);
    this.properties(typed.properties, depth, Infinity);
    return typed;
  }

  /** AMF0 2.12: a u32 count, checked against limits and the bytes left before the loop. */
  private strictArray(parentDepth: number): AmfValue[] {
    const count = this.reader.u32();
    const depth = enterContainer(parentDepth, this.limits, this.reader);
    checkDeclaredCount(count, this.limits, this.reader);
    const array: AmfValue[] = [];
    this.refs.push(array);
    for (let i = 0; i < count; i++) array.push(this.value(depth));
    return array;
  }

  /**
   * Reads UTF-8 keys and values until an empty key followed by the object-end marker (AMF0 2.5,
   * 2.11). An empty key followed by any other marker is an ordinary property named "".
   */
  private properties(target: AmfObject | AmfEcmaArray, depth: number, endlessAfter: number): void {
    const r = this.reader;
    for (let count = 0; ; ) {
      if (r.remaining === 0 && count >= endlessAfter) return;
      const key = readUtf8(r, r.u16(), this.limits);
      if (key === '' && r.remaining > 0 && r.buf[r.pos] === M.objectEnd) {
        r.pos++;
        return;
      }
      checkItems(++count, this.limits, r);
      setEntry(target, key, this.value(depth));
    }
  }

  /** AMF0 2.9: a u16 index into the complex values decoded so far; yields the same JS object. */
  private reference(): AmfValue {
    const at = this.reader.pos - 1;
    const index = this.reader.u16();
    if (index >= this.refs.length) throw badReference('AMF0 object', index, this.refs.length, at);
    return this.refs[index];
  }

  /** AMF0 2.13: f64 milliseconds since the epoch (UTC), then an s16 time zone that is reserved. */
  private date(): Date {
    const ms = this.reader.f64();
    this.reader.i16();
    return new Date(ms);
  }
}

/** Decodes every AMF0 value in `buf`, in order. */
export function decodeAmf0(buf: Uint8Array, limits?: Partial<AmfLimits>): AmfValue[] {
  const decoder = new Amf0Decoder(buf, limits);
  const values: AmfValue[] = [];
  while (!decoder.done) values.push(decoder.next());
  return values;
}
