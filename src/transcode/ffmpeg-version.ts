import type { FfmpegVersion } from './ladder-plan.js';

/**
 * ffmpeg's release from the first line of `ffmpeg -version`: "ffmpeg version 5.1.9-0+deb12u1",
 * "ffmpeg version n6.1.1", "ffmpeg version 7.0.2-static". A build from git ("N-112233-g…") names
 * no release: undefined, and the caller decides (the supervisor treats it as the newest).
 */
export function parseFfmpegVersion(output: string): FfmpegVersion | undefined {
  const match = /^ffmpeg version n?(\d+)\.(\d+)/m.exec(output);
  if (match === null) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]) };
}
