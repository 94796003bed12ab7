import { MAX_STREAM_NAME_LENGTH, isValidStreamName } from '../config/index.js';
import { isStorePathSegment } from '../store/index.js';

/**
 * What a request path may name: /<app>/<key>/ pass the stream name rule (config/stream-name-rule.ts,
 * the rule RTMP applies at publish), and every further segment is a store path segment (letters,
 * digits, '.', '_' and '-', not starting with a dot — so '..', hidden files, encoded separators and
 * control characters never reach the store), at most 128 characters, and at most two levels below
 * /<app>/<key>/ (a rendition folder and a file).
 */
const MAX_SEGMENT_LENGTH = MAX_STREAM_NAME_LENGTH;
const MAX_DEPTH = 2;

export function isSafeSegment(segment: string): boolean {
  return segment.length <= MAX_SEGMENT_LENGTH && isStorePathSegment(segment);
}

/** The store path for /<app>/<key>/<rest>, or undefined when any part is not allowed. */
export function deliveryPath(app: string, key: string, rest: string): string | undefined {
  const parts = rest.split('/');
  if (parts.length > MAX_DEPTH || !isValidStreamName(app) || !isValidStreamName(key) || !parts.every(isSafeSegment)) return undefined;
  return `${app}/${key}/${rest}`;
}
