import { decodeAmf0, encodeAmf0, type AmfLimits, type AmfValue } from '../../amf/index.js';
import { AmfError } from '../../errors/index.js';
import { malformed } from './tag-fields.js';

/**
 * SCRIPTDATA tag bodies (FLV 10.1 E.4.4.1): an AMF0 string naming the call (onMetaData,
 * onTextData, onCuePoint, …) followed by its arguments. Over RTMP, publishers send metadata as a
 * data message `@setDataFrame, onMetaData, {…}` (the server keeps the frame and drops the prefix
 * before relaying it); parseScriptTag accepts both and skips the prefix. AMF failures are
 * rethrown as ERR_FLV_TAG_MALFORMED with the AmfError as `cause`; decoding obeys AMF limits.
 */
export interface ScriptTag {
  /** The call name, e.g. 'onMetaData'. */
  readonly name: string;
  /** The first argument (the metadata object for onMetaData); undefined if there is none. */
  readonly value: AmfValue;
  /** Every argument after the name, `value` first. */
  readonly values: readonly AmfValue[];
}

/** The RTMP data-message prefix that asks a server to keep the frame that follows. */
export const SET_DATA_FRAME = '@setDataFrame';

export function parseScriptTag(body: Uint8Array, limits?: Partial<AmfLimits>): ScriptTag {
  const all = decode(body, limits);
  const start = all[0] === SET_DATA_FRAME ? 1 : 0;
  const name = all[start];
  if (typeof name !== 'string') {
    throw malformed('script', 'name', `the body does not start with an AMF0 string name (got ${describe(name, start, all.length)})`, {
      length: body.length,
    });
  }
  const values = all.slice(start + 1);
  return { name, value: values[0], values };
}

/** SCRIPTDATA for `name(values…)`, e.g. `buildScriptTag('onMetaData', { duration: 0 })`. Throws AmfError for unencodable values. */
export function buildScriptTag(name: string, ...values: AmfValue[]): Uint8Array {
  return encodeAmf0(name, ...values);
}

function decode(body: Uint8Array, limits: Partial<AmfLimits> | undefined): AmfValue[] {
  try {
    return decodeAmf0(body, limits);
  } catch (err) {
    if (err instanceof AmfError) {
      throw malformed('script', 'SCRIPTDATAVALUE', `AMF0: ${err.message}`, { length: body.length, amfCode: err.code }, err);
    }
    throw err;
  }
}

function describe(name: AmfValue, index: number, count: number): string {
  return index >= count ? 'nothing' : name === null ? 'null' : typeof name;
}
