export { BufferQueue } from './buffer-queue.js';
export { ByteReader } from './byte-reader.js';
export { ByteWriter } from './byte-writer.js';
export { BitReader, EXP_GOLOMB_MAX_LEADING_ZEROS } from './bit-reader.js';
export type { BitReaderErrors } from './bit-reader.js';
export { BitWriter, ueBitLength, seBitLength } from './bit-writer.js';
export { utf8Length, utf8Decode } from './utf8.js';
export { uninitialized } from './uninitialized.js';
