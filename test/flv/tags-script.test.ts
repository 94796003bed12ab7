import { describe, expect, it } from 'vitest';
import { AmfEcmaArray } from '../../src/amf/index.js';
import { AmfError } from '../../src/errors/index.js';
import { buildScriptTag, FlvError, parseScriptTag } from '../../src/flv/index.js';

/** SCRIPTDATA bodies (FLV 10.1 E.4.4.1) both ways, and the RTMP `@setDataFrame` form. */

function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** 'onMetaData', ECMA array { duration: 10, width: 320 } (AMF0 2.4, 2.10, 2.2). */
const ON_META_DATA = [
  '02 000a 6f6e4d65746144617461',
  '08 00000002',
  '0008 6475726174696f6e 00 4024000000000000',
  '0005 7769647468 00 4074000000000000',
  '000009',
].join(' ');
/** '@setDataFrame' as an AMF0 string. */
const SET_DATA_FRAME = '02 000d 40736574446174614672616d65';

const metadata = AmfEcmaArray.from([
  ['duration', 10],
  ['width', 320],
]);

describe('parseScriptTag / buildScriptTag', () => {
  it('onMetaData, both ways', () => {
    const tag = parseScriptTag(hex(ON_META_DATA));
    expect(tag.name).toBe('onMetaData');
    expect(tag.value).toBeInstanceOf(AmfEcmaArray);
    expect(tag.value).toEqual(metadata);
    expect(tag.values).toEqual([metadata]);
    expect(toHex(buildScriptTag('onMetaData', metadata))).toBe(toHex(hex(ON_META_DATA)));
  });

  it('skips a leading @setDataFrame (the RTMP data-message form)', () => {
    const tag = parseScriptTag(hex(`${SET_DATA_FRAME} ${ON_META_DATA}`));
    expect(tag).toEqual({ name: 'onMetaData', value: metadata, values: [metadata] });
  });

  it('keeps every argument after the name', () => {
    const body = buildScriptTag('onCuePoint', { name: 'ad', time: 1.5 }, 'extra', null);
    expect(parseScriptTag(body)).toEqual({
      name: 'onCuePoint',
      value: { name: 'ad', time: 1.5 },
      values: [{ name: 'ad', time: 1.5 }, 'extra', null],
    });
  });

  it('a name without arguments has value undefined', () => {
    expect(parseScriptTag(buildScriptTag('onEnd'))).toEqual({ name: 'onEnd', value: undefined, values: [] });
  });

  it('refuses bodies without a string name', () => {
    for (const bytes of ['', '00 3ff0000000000000', '05', SET_DATA_FRAME, `${SET_DATA_FRAME} 05`]) {
      const err = catchError(() => parseScriptTag(hex(bytes)));
      expect(err, bytes).toBeInstanceOf(FlvError);
      expect(err).toMatchObject({ code: 'ERR_FLV_TAG_MALFORMED', details: { tag: 'script', field: 'name' } });
    }
  });

  it('turns AMF errors into ERR_FLV_TAG_MALFORMED with the AmfError as cause', () => {
    const err = catchError(() => parseScriptTag(hex('02 000a 6f6e4d65')));
    expect(err).toMatchObject({ code: 'ERR_FLV_TAG_MALFORMED', details: { tag: 'script', amfCode: 'ERR_AMF_TRUNCATED', length: 7 } });
    expect((err as FlvError).cause).toBeInstanceOf(AmfError);
  });

  it('applies AMF limits', () => {
    const deep = buildScriptTag('onMetaData', { a: { b: { c: 1 } } });
    expect(catchError(() => parseScriptTag(deep, { maxDepth: 1 }))).toMatchObject({
      code: 'ERR_FLV_TAG_MALFORMED',
      details: { amfCode: 'ERR_AMF_DEPTH_EXCEEDED' },
    });
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}
