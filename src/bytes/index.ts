export { BufferQueue } from './buffer-queue.js';
export { ByteReader } from './byte-reader.js';
export { ByteWriter } from './byte-writer.js';
export { utf8Length, utf8Decode } from './utf8.js';
