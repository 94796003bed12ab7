/**
 * The one rule for app and stream-key names (docs/limits.md "Names"). RTMP applies it when
 * `publish` or `play` arrives, HTTP to the first two segments of a request path, and every storage
 * path of a stream is `<app>/<key>/…` built from names that passed it — so a name is one path
 * segment, and no stream's folder can be a prefix of another stream's or reach a rendition folder
 * (`live/ref/video/` is stream `ref`'s video rendition; the key `ref/video` is refused).
 *
 * - Characters: ASCII letters, digits, '.', '_' and '-' ([A-Za-z0-9._-]); no '/', '\', space,
 *   '+', '%', control or non-ASCII character, so a name is the same in a URL, a file name and a
 *   log line, on every file system.
 * - Not starting with '.': no '.', '..' or hidden file (DiskStore's temporary files are dot-names).
 * - 1 to MAX_STREAM_NAME_LENGTH characters.
 * - Case is kept and matters (`Key` and `key` are two streams), as in URLs.
 */

/**
 * 128 characters: far above the 16–40-character keys streaming services issue, and a stream's
 * deepest path (`<app>/<key>/<rendition>/<msn>.<part>.m4s`) stays short of any file system's limit.
 * HTTP refuses longer path segments with the same number.
 */
export const MAX_STREAM_NAME_LENGTH = 128;

const NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Why `name` is not a valid app or stream key name, or undefined when it is. */
export function streamNameProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'is empty';
  if (name.length > MAX_STREAM_NAME_LENGTH) return `is longer than ${MAX_STREAM_NAME_LENGTH} characters`;
  if (name.startsWith('.')) return "starts with '.'";
  if (!NAME.test(name)) return 'has a character outside [A-Za-z0-9._-]';
  return undefined;
}

/** Whether `name` may be an app or a stream key. */
export function isValidStreamName(name: string): boolean {
  return streamNameProblem(name) === undefined;
}
