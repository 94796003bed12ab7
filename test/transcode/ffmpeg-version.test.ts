import { describe, expect, it } from 'vitest';
import { parseFfmpegVersion } from '../../src/transcode/index.js';

describe('parseFfmpegVersion', () => {
  it.each([
    ['ffmpeg version 5.1.9-0+deb12u1 Copyright (c) 2000-2025 the FFmpeg developers', { major: 5, minor: 1 }],
    ['ffmpeg version n6.1.1 Copyright (c) 2000-2023 the FFmpeg developers', { major: 6, minor: 1 }],
    ['ffmpeg version 7.0.2-static https://johnvansickle.com/ffmpeg/  Copyright (c) 2000-2024', { major: 7, minor: 0 }],
    ['ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright', { major: 4, minor: 4 }],
    ['ffmpeg version N-112233-gabcdef0 Copyright (c) 2000-2024', undefined],
    ['not ffmpeg at all', undefined],
  ])('%s', (line, expected) => {
    expect(parseFfmpegVersion(`${line}\nbuilt with gcc 12\n`)).toEqual(expected);
  });
});
