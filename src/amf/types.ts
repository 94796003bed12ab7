/**
 * The JavaScript values the AMF codec reads and writes. One union covers AMF0 and the AMF3 subset
 * we decode, so a command handler never cares which encoding the peer chose.
 *
 * | AMF0 (3.1)                 | AMF3 (3.1)                    | value                 |
 * | -------------------------- | ----------------------------- | --------------------- |
 * | number                     | integer, double               | `number`              |
 * | boolean                    | false, true                   | `boolean`             |
 * | string, long string, XML   | string, XMLDocument, XML      | `string`              |
 * | null                       | null                          | `null`                |
 * | undefined, unsupported     | undefined                     | `undefined`           |
 * | date                       | date                          | `Date`                |
 * | strict array               | array with a dense part only  | `AmfValue[]`          |
 * | anonymous object           | object with an empty class    | `AmfObject`           |
 * | ECMA array                 | array with associative keys   | `AmfEcmaArray`        |
 * | typed object               | object with a class name      | `AmfTypedObject`      |
 */
export type AmfValue =
  | number
  | boolean
  | string
  | null
  | undefined
  | Date
  | AmfValue[]
  | AmfObject
  | AmfEcmaArray
  | AmfTypedObject;

/** An anonymous object: a plain object whose own enumerable string keys are its properties. */
export type AmfObject = { [key: string]: AmfValue };

/**
 * An associative array (AMF0 2.10; AMF3 3.11 with associative keys). Its entries are own
 * enumerable properties, so `meta.width` reads like an object; `instanceof` tells it apart so the
 * encoder can write the ECMA array marker back. It deliberately has no methods: any member would
 * collide with an entry of the same name.
 */
export class AmfEcmaArray {
  [key: string]: AmfValue;

  /** An ECMA array holding `entries` in order; `__proto__` stays a plain entry. */
  static from(entries: Iterable<readonly [string, AmfValue]>): AmfEcmaArray {
    const array = new AmfEcmaArray();
    for (const [key, value] of entries) setEntry(array, key, value);
    return array;
  }
}

/** An object of a registered class (AMF0 2.18; AMF3 3.12 with a non-empty class name). */
export class AmfTypedObject {
  readonly className: string;
  readonly properties: AmfObject;

  constructor(className: string, properties: AmfObject = {}) {
    this.className = className;
    this.properties = properties;
  }
}

/**
 * Stores `value` under `key` as an own data property. Plain assignment of `__proto__` would call
 * the Object.prototype setter and replace the target's prototype (prototype pollution from a
 * peer's bytes); defining the property keeps it an ordinary entry. Other keys assign directly,
 * which is faster and equivalent because Object.prototype has no other setters.
 */
export function setEntry(target: AmfObject | AmfEcmaArray, key: string, value: AmfValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
