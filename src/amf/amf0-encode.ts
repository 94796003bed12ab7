import { constants as bufferConstants } from 'node:buffer';
import { ByteWriter, utf8Length } from '../bytes/index.js';
import { AmfError } from '../errors/index.js';
import { AMF_DEPTH_CEILING } from './limits.js';
import { AMF0_MARKER as M } from './markers.js';
import { AmfEcmaArray, AmfTypedObject, type AmfObject, type AmfValue } from './types.js';

/**
 * AMF0 encoder: a size pass, one allocation, a write pass. `sizeOf` and `writeValue` mirror each
 * other branch for branch (encodeAmf0 checks that they agreed). References (AMF0 2.9) are never
 * written: a value reachable twice is written twice, and a cycle is refused.
 *
 *   value        bytes
 *   number       00 f64
 *   boolean      01 u8
 *   string       02 u16-len utf8          (≤ 65 535 bytes)
 *   long string  0c u32-len utf8          (longer)
 *   object       03 (u16-len key value)* 00 00 09
 *   null         05
 *   undefined    06
 *   ECMA array   08 u32-count (u16-len key value)* 00 00 09
 *   strict array 0a u32-count value*
 *   date         0b f64-ms s16-zone(0)
 *   typed object 10 u16-len class-name (u16-len key value)* 00 00 09
 */

/** Largest UTF-8 length of a string marker's u16 header (AMF0 2.4); longer is a long string (2.14). */
const SHORT_STRING_MAX_BYTES = 0xffff;
/** object-end: an empty key (u16 0) then marker 0x09 (AMF0 2.11). */
const OBJECT_END_BYTES = 3;

/** Encoded size of `value` in bytes. Throws ERR_AMF_UNENCODABLE for values with no AMF0 form. */
export function amf0ByteLength(value: AmfValue): number {
  return sizeOf(value, new Set());
}

/** Writes `value` at the writer's position; the writer must have room for `amf0ByteLength(value)`. */
export function writeAmf0(writer: ByteWriter, value: AmfValue): void {
  writeValue(writer, value, new Set());
}

/** Encodes the values back to back into one exactly sized Buffer (e.g. a command message body). */
export function encodeAmf0(...values: AmfValue[]): Buffer {
  let size = 0;
  for (const value of values) size += amf0ByteLength(value);
  if (size > bufferConstants.MAX_LENGTH) {
    throw new AmfError('ERR_AMF_UNENCODABLE', `AMF0 encoding of ${size} bytes exceeds the largest Buffer`, { size });
  }
  const writer = new ByteWriter(size);
  for (const value of values) writeAmf0(writer, value);
  if (writer.pos !== size) {
    // Only a getter or proxy answering differently in the two passes gets here.
    throw new AmfError('ERR_AMF_UNENCODABLE', `AMF0 value changed while being encoded`, { size, written: writer.pos });
  }
  return writer.buf;
}

function sizeOf(value: unknown, ancestors: Set<object>): number {
  if (typeof value === 'number') return 9;
  if (typeof value === 'boolean') return 2;
  if (typeof value === 'string') return stringSize(value);
  if (value === null || value === undefined) return 1;
  if (typeof value !== 'object') throw unencodable(typeof value);
  if (value instanceof Date) return 11;
  enter(value, ancestors);
  let size: number;
  if (Array.isArray(value)) {
    size = 5;
    for (let i = 0; i < value.length; i++) size += sizeOf(value[i], ancestors);
  } else if (value instanceof AmfEcmaArray) {
    size = 5 + propertiesSize(value, ancestors);
  } else if (value instanceof AmfTypedObject) {
    size = 1 + keySize(value.className) + propertiesSize(plainObject(value.properties), ancestors);
  } else {
    size = 1 + propertiesSize(plainObject(value), ancestors);
  }
  ancestors.delete(value);
  return size;
}

function writeValue(w: ByteWriter, value: unknown, ancestors: Set<object>): void {
  if (typeof value === 'number') w.u8(M.number).f64(value);
  else if (typeof value === 'boolean') w.u8(M.boolean).u8(value ? 1 : 0);
  else if (typeof value === 'string') writeString(w, value);
  else if (value === null) w.u8(M.null);
  else if (value === undefined) w.u8(M.undefined);
  else if (typeof value !== 'object') throw unencodable(typeof value);
  else if (value instanceof Date) w.u8(M.date).f64(value.getTime()).u16(0);
  else writeContainer(w, value, ancestors);
}

function writeContainer(w: ByteWriter, value: object, ancestors: Set<object>): void {
  enter(value, ancestors);
  if (Array.isArray(value)) {
    w.u8(M.strictArray).u32(value.length);
    for (let i = 0; i < value.length; i++) writeValue(w, value[i], ancestors);
  } else if (value instanceof AmfEcmaArray) {
    const keys = Object.keys(value);
    w.u8(M.ecmaArray).u32(keys.length);
    writeProperties(w, value, keys, ancestors);
  } else if (value instanceof AmfTypedObject) {
    w.u8(M.typedObject);
    writeKey(w, value.className);
    const properties = plainObject(value.properties);
    writeProperties(w, properties, Object.keys(properties), ancestors);
  } else {
    const object = plainObject(value);
    w.u8(M.object);
    writeProperties(w, object, Object.keys(object), ancestors);
  }
  ancestors.delete(value);
}

function stringSize(s: string): number {
  const byteLength = utf8Length(s);
  return (byteLength > SHORT_STRING_MAX_BYTES ? 5 : 3) + byteLength;
}

function writeString(w: ByteWriter, s: string): void {
  const byteLength = utf8Length(s);
  if (byteLength > SHORT_STRING_MAX_BYTES) w.u8(M.longString).u32(byteLength);
  else w.u8(M.string).u16(byteLength);
  w.utf8(s, byteLength);
}

/** Keys and class names have only the u16 header (AMF0 2.5, 2.18): no long form exists. */
function keySize(key: string): number {
  const byteLength = utf8Length(key);
  if (byteLength > SHORT_STRING_MAX_BYTES) {
    throw new AmfError('ERR_AMF_UNENCODABLE', `AMF0 key or class name of ${byteLength} bytes exceeds 65535`, { byteLength });
  }
  return 2 + byteLength;
}

function writeKey(w: ByteWriter, key: string): void {
  const byteLength = utf8Length(key);
  w.u16(byteLength).utf8(key, byteLength);
}

function propertiesSize(object: AmfObject | AmfEcmaArray, ancestors: Set<object>): number {
  let size = OBJECT_END_BYTES;
  for (const key of Object.keys(object)) size += keySize(key) + sizeOf(object[key], ancestors);
  return size;
}

function writeProperties(w: ByteWriter, object: AmfObject | AmfEcmaArray, keys: string[], ancestors: Set<object>): void {
  for (const key of keys) {
    writeKey(w, key);
    writeValue(w, object[key], ancestors);
  }
  w.u16(0).u8(M.objectEnd);
}

/** Marks `value` as being encoded, refusing cycles and nesting beyond the decoder's ceiling. */
function enter(value: object, ancestors: Set<object>): void {
  if (ancestors.has(value)) throw unencodable('cycle');
  if (ancestors.size >= AMF_DEPTH_CEILING) {
    throw new AmfError('ERR_AMF_DEPTH_EXCEEDED', `AMF0 value nested deeper than ${AMF_DEPTH_CEILING}`, {
      maxDepth: AMF_DEPTH_CEILING,
    });
  }
  ancestors.add(value);
}

/**
 * Only plain objects (prototype Object.prototype or null) are anonymous objects; a Map, a typed
 * array or a class instance would silently lose its contents or its type, so it is refused.
 */
function plainObject(value: object): AmfObject {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    throw unencodable(typeof name === 'string' && name !== '' ? name : 'non-plain object');
  }
  return value as AmfObject;
}

function unencodable(what: string): AmfError {
  return new AmfError('ERR_AMF_UNENCODABLE', `a ${what} has no AMF0 encoding`, { type: what });
}
