import type { ByteReader } from '../bytes/index.js';
import { resolveAmfLimits, type AmfLimits } from './limits.js';
import { AMF3_MARKER as M } from './markers.js';
import { amfReader, badReference, checkDeclaredCount, checkItems, enterContainer, readUtf8, unknownMarker } from './read-checks.js';
import { AmfEcmaArray, AmfTypedObject, setEntry, type AmfObject, type AmfValue } from './types.js';

/** Class description shared by objects through the traits reference table (AMF3 3.12). */
interface Amf3Traits {
  readonly className: string;
  readonly dynamic: boolean;
  readonly sealedNames: readonly string[];
}

/**
 * Reads AMF3 values (AMF3 3.2–3.13) from a reader it shares with its caller, keeping the three
 * reference tables (strings 3.8; dates, XML, arrays and objects 3.10–3.13; traits 3.12) for its
 * lifetime. Bytearray,
 * vectors, dictionaries and externalizable objects are not needed by RTMP commands and throw
 * ERR_AMF_UNKNOWN_MARKER.
 */
export class Amf3ValueReader {
  private readonly reader: ByteReader;
  private readonly limits: AmfLimits;
  private readonly strings: string[] = [];
  private readonly objects: AmfValue[] = [];
  private readonly traits: Amf3Traits[] = [];

  constructor(reader: ByteReader, limits: AmfLimits) {
    this.reader = reader;
    this.limits = limits;
  }

  /** Reads one value; `depth` is the nesting of the containers around it. */
  value(depth: number): AmfValue {
    const r = this.reader;
    const at = r.pos;
    const marker = r.u8();
    switch (marker) {
      case M.undefined:
        return undefined;
      case M.null:
        return null;
      case M.false:
        return false;
      case M.true:
        return true;
      case M.integer:
        // AMF3 3.6: a U29 holding a 29-bit two's complement integer.
        return (this.u29() << 3) >> 3;
      case M.double:
        return r.f64();
      case M.string:
        return this.string();
      case M.xmlDocument:
      case M.xml:
        return this.xml();
      case M.date:
        return this.date();
      case M.array:
        return this.array(depth);
      case M.object:
        return this.object(depth);
      default:
        throw unknownMarker(marker, 'AMF3 marker', at);
    }
  }

  /** AMF3 1.3.1: 7 bits per byte while the high bit is set, the 4th byte contributing all 8. */
  private u29(): number {
    let value = 0;
    for (let i = 0; i < 3; i++) {
      const byte = this.reader.u8();
      if (byte < 0x80) return (value << 7) | byte;
      value = (value << 7) | (byte & 0x7f);
    }
    return (value << 8) | this.reader.u8();
  }

  /**
   * AMF3 3.8 (UTF-8-vr): low bit 0 is a string table reference, else the length. The empty
   * string is never added to the table (1.3.2).
   */
  private string(): string {
    const at = this.reader.pos;
    const header = this.u29();
    if ((header & 1) === 0) return this.stringAt(header >>> 1, at);
    const s = readUtf8(this.reader, header >>> 1, this.limits);
    if (s !== '') this.strings.push(s);
    return s;
  }

  private stringAt(index: number, at: number): string {
    const s = this.strings[index];
    if (s === undefined) throw badReference('AMF3 string', index, this.strings.length, at);
    return s;
  }

  /** AMF3 3.10: an object reference, or a flag then f64 milliseconds (UTC). */
  private date(): AmfValue {
    const at = this.reader.pos;
    const header = this.u29();
    if ((header & 1) === 0) return this.objectAt(header >>> 1, at);
    const date = new Date(this.reader.f64());
    this.objects.push(date);
    return date;
  }

  /** AMF3 3.9, 3.13: XML text; it lives in the object table, not the string table. */
  private xml(): AmfValue {
    const at = this.reader.pos;
    const header = this.u29();
    if ((header & 1) === 0) return this.objectAt(header >>> 1, at);
    const text = readUtf8(this.reader, header >>> 1, this.limits);
    this.objects.push(text);
    return text;
  }

  /**
   * AMF3 3.11: a dense count, associative key/value pairs up to an empty key, then the dense
   * values. Dense-only arrays become JS arrays; any associative key makes an AmfEcmaArray with
   * the dense values under "0", "1", … The container is registered before its members so that
   * members may refer back to it.
   */
  private array(parentDepth: number): AmfValue {
    const r = this.reader;
    const at = r.pos;
    const header = this.u29();
    if ((header & 1) === 0) return this.objectAt(header >>> 1, at);
    const depth = enterContainer(parentDepth, this.limits, r);
    const denseCount = header >>> 1;
    checkDeclaredCount(denseCount, this.limits, r);
    let key = this.string();
    if (key === '') {
      const dense: AmfValue[] = [];
      this.objects.push(dense);
      for (let i = 0; i < denseCount; i++) dense.push(this.value(depth));
      return dense;
    }
    const mixed = new AmfEcmaArray();
    this.objects.push(mixed);
    for (let count = denseCount; key !== ''; key = this.string()) {
      checkItems(++count, this.limits, r);
      setEntry(mixed, key, this.value(depth));
    }
    for (let i = 0; i < denseCount; i++) setEntry(mixed, String(i), this.value(depth));
    return mixed;
  }

  /**
   * AMF3 3.12: traits (inline or by reference), the sealed member values in trait order, then
   * dynamic members up to an empty key. An empty class name is an anonymous object.
   */
  private object(parentDepth: number): AmfValue {
    const r = this.reader;
    const at = r.pos;
    const header = this.u29();
    if ((header & 1) === 0) return this.objectAt(header >>> 1, at);
    const traits = this.readTraits(header, at);
    const depth = enterContainer(parentDepth, this.limits, r);
    const properties: AmfObject = {};
    const result = traits.className === '' ? properties : new AmfTypedObject(traits.className, properties);
    this.objects.push(result);
    for (const name of traits.sealedNames) setEntry(properties, name, this.value(depth));
    if (!traits.dynamic) return result;
    let count = traits.sealedNames.length;
    for (let key = this.string(); key !== ''; key = this.string()) {
      checkItems(++count, this.limits, r);
      setEntry(properties, key, this.value(depth));
    }
    return result;
  }

  /**
   * The U29O-traits header (AMF3 3.12): bit 1 clear is a traits reference (index in the bits
   * above); bit 2 set is externalizable, whose body format only the class itself knows; bit 3 is
   * the dynamic flag; the bits above are the sealed member count.
   */
  private readTraits(header: number, at: number): Amf3Traits {
    if ((header & 2) === 0) {
      const index = header >>> 2;
      const traits = this.traits[index];
      if (traits === undefined) throw badReference('AMF3 traits', index, this.traits.length, at);
      return traits;
    }
    if ((header & 4) !== 0) throw unknownMarker(M.object, 'AMF3 externalizable object', at - 1);
    const sealedCount = header >>> 4;
    checkDeclaredCount(sealedCount, this.limits, this.reader);
    const className = this.string();
    const sealedNames: string[] = [];
    for (let i = 0; i < sealedCount; i++) sealedNames.push(this.string());
    const traits: Amf3Traits = { className, dynamic: (header & 8) !== 0, sealedNames };
    this.traits.push(traits);
    return traits;
  }

  private objectAt(index: number, at: number): AmfValue {
    if (index >= this.objects.length) throw badReference('AMF3 object', index, this.objects.length, at);
    return this.objects[index];
  }
}

/**
 * Decodes a sequence of AMF3 values from one buffer (outside AMF0: e.g. a ByteArray payload),
 * with one set of reference tables for the whole sequence. Same limits and errors as AMF0.
 */
export class Amf3Decoder {
  private readonly reader: ByteReader;
  private readonly values: Amf3ValueReader;

  constructor(buf: Uint8Array, limits?: Partial<AmfLimits>) {
    this.reader = amfReader(buf);
    this.values = new Amf3ValueReader(this.reader, resolveAmfLimits(limits));
  }

  get done(): boolean {
    return this.reader.remaining === 0;
  }

  get offset(): number {
    return this.reader.pos;
  }

  next(): AmfValue {
    return this.values.value(0);
  }
}

/** Decodes every AMF3 value in `buf`, in order. */
export function decodeAmf3(buf: Uint8Array, limits?: Partial<AmfLimits>): AmfValue[] {
  const decoder = new Amf3Decoder(buf, limits);
  const values: AmfValue[] = [];
  while (!decoder.done) values.push(decoder.next());
  return values;
}
