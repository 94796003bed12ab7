import { describe, expect, it } from 'vitest';
import { partUri } from '../../src/hls/index.js';
import { MEDIA_CACHE_CONTROL, PLAYLIST_CACHE_CONTROL, cacheControlFor } from '../../src/http/index.js';

describe('cacheControlFor', () => {
  it.each([
    ['live/cam/index.m3u8', undefined, PLAYLIST_CACHE_CONTROL],
    ['live/cam/video/index.m3u8', 4, PLAYLIST_CACHE_CONTROL],
    ['live/cam/video/init-0.mp4', undefined, MEDIA_CACHE_CONTROL],
    ['live/cam/video/12.m4s', undefined, MEDIA_CACHE_CONTROL],
    // A part, by hls's own part-name grammar: three target durations (the default target: 2 s).
    [`live/cam/video/${partUri(12, 3)}`, undefined, 'public, max-age=6'],
    [`live/cam/video/${partUri(0, 0)}`, 4, 'public, max-age=12'],
    // Not a part name: a segment's lifetime.
    ['live/cam/video/012.3.m4s', undefined, MEDIA_CACHE_CONTROL],
    ['live/cam/video/12.3.mp4', undefined, MEDIA_CACHE_CONTROL],
  ] as const)('%s (target %s s): %s', (path, targetDurationSeconds, expected) => {
    expect(cacheControlFor(path, targetDurationSeconds)).toBe(expected);
  });
});
