/**
 * A publish/play name as clients send it: `key`, `key?token=abc`, or with a codec prefix from
 * Flash-era players (`mp4:key`, `flv:key`). The query string carries tokens for authorization.
 */
export interface StreamName {
  streamKey: string;
  query: string;
}

export function parseStreamName(raw: string): StreamName {
  const q = raw.indexOf('?');
  let key = q < 0 ? raw : raw.slice(0, q);
  const query = q < 0 ? '' : raw.slice(q + 1);
  const prefix = /^(mp4|flv|mp3|f4v):/i.exec(key);
  if (prefix !== null) key = key.slice(prefix[0].length);
  return { streamKey: key, query };
}

/** `app` as sent in connect may carry a query too (`live?token=…`) and a trailing slash. */
export function parseAppName(raw: string): StreamName {
  const { streamKey, query } = parseStreamName(raw);
  return { streamKey: streamKey.replace(/\/+$/, ''), query };
}
