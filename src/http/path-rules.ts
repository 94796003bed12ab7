/**
 * What a request path may name. Every segment of a delivery path must match SEGMENT: letters,
 * digits, '.', '_' and '-', not starting with a dot — so '..', hidden files, encoded separators and
 * control characters never reach the store, whatever the store does with paths.
 */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** Longest path (in segments) under /<app>/<key>/: a rendition folder and a file. */
const MAX_DEPTH = 2;

export function isSafeSegment(segment: string): boolean {
  return SEGMENT.test(segment);
}

/** The store path for /<app>/<key>/<rest>, or undefined when any part is not allowed. */
export function deliveryPath(app: string, key: string, rest: string): string | undefined {
  const parts = rest.split('/');
  if (parts.length > MAX_DEPTH || !isSafeSegment(app) || !isSafeSegment(key) || !parts.every(isSafeSegment)) return undefined;
  return `${app}/${key}/${rest}`;
}
