export {
  FlvFileReader,
  readFlvFile,
  DEFAULT_FLV_MAX_TAG_BYTES,
  FLV_MAX_DATA_OFFSET,
} from './file-reader.js';
export type { FlvFileHeader, FlvFileTag, FlvFileReaderOptions } from './file-reader.js';
export { FlvError } from '../errors/index.js';
