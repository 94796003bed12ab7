import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ConfigError } from '../errors/index.js';

/**
 * Finds the ffmpeg and ffprobe executables transcoding needs. Order, first hit wins:
 *   1. env FFMPEG_PATH / FFPROBE_PATH: the operator's explicit choice, so a wrong value is an
 *      error (ERR_CONFIG_INVALID), never silently replaced by another binary;
 *   2. `ffmpeg` / `ffprobe` in a PATH directory, searched here rather than through a shell so
 *      nothing in the environment is ever interpreted;
 *   3. the optional npm packages @ffmpeg-installer/ffmpeg / @ffprobe-installer/ffprobe, whose
 *      `.path` export names a bundled static build.
 * Nothing found resolves to undefined: callers report that transcoding is off.
 */

export type FfmpegSource = 'env' | 'path' | 'package';

export interface FfmpegLocation {
  /** Absolute path of the executable. */
  readonly path: string;
  readonly source: FfmpegSource;
}

export interface LocateOptions {
  /**
   * Module URL or path the optional packages are resolved from (as `createRequire` takes it).
   * Default: this module, i.e. tidecast's own node_modules. Tests point it at a fixture tree.
   */
  resolveFrom?: string | URL;
}

interface Tool {
  readonly binary: string;
  readonly envVar: string;
  readonly packageName: string;
}

const FFMPEG: Tool = { binary: 'ffmpeg', envVar: 'FFMPEG_PATH', packageName: '@ffmpeg-installer/ffmpeg' };
const FFPROBE: Tool = { binary: 'ffprobe', envVar: 'FFPROBE_PATH', packageName: '@ffprobe-installer/ffprobe' };

export function locateFfmpeg(
  env: NodeJS.ProcessEnv = process.env,
  options: LocateOptions = {},
): Promise<FfmpegLocation | undefined> {
  return locate(FFMPEG, env, options);
}

export function locateFfprobe(
  env: NodeJS.ProcessEnv = process.env,
  options: LocateOptions = {},
): Promise<FfmpegLocation | undefined> {
  return locate(FFPROBE, env, options);
}

async function locate(tool: Tool, env: NodeJS.ProcessEnv, options: LocateOptions): Promise<FfmpegLocation | undefined> {
  const fromEnv = env[tool.envVar];
  if (fromEnv !== undefined && fromEnv !== '') {
    const resolved = path.resolve(fromEnv);
    if (!(await isExecutableFile(resolved))) {
      throw new ConfigError('ERR_CONFIG_INVALID', `${tool.envVar}=${fromEnv} is not an executable file`, {
        option: tool.envVar,
        value: fromEnv,
      });
    }
    return { path: resolved, source: 'env' };
  }
  const onPath = await searchPath(tool.binary, env, process.platform);
  if (onPath !== undefined) return { path: onPath, source: 'path' };
  const fromPackage = await fromOptionalPackage(tool.packageName, options.resolveFrom ?? import.meta.url);
  if (fromPackage !== undefined) return { path: fromPackage, source: 'package' };
  return undefined;
}

/**
 * Like execvp, but only absolute PATH entries count: an empty or relative entry would make the
 * result depend on the server's working directory, a classic way to run the wrong binary.
 */
async function searchPath(binary: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Promise<string | undefined> {
  const pathValue = pathVariable(env, platform);
  if (pathValue === undefined) return undefined;
  const pathImpl = platform === 'win32' ? path.win32 : path.posix;
  const names = executableNames(binary, env, platform);
  for (const dir of pathValue.split(pathImpl.delimiter)) {
    if (dir === '' || !pathImpl.isAbsolute(dir)) continue;
    for (const name of names) {
      const candidate = pathImpl.join(dir, name);
      if (await isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

/** Windows spells the variable `Path` and matches names case-insensitively. */
function pathVariable(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string | undefined {
  if (platform !== 'win32') return env['PATH'];
  const key = Object.keys(env).find((k) => k.toUpperCase() === 'PATH');
  return key === undefined ? undefined : env[key];
}

/** On Windows a bare name runs with any PATHEXT extension (ffmpeg.exe); elsewhere as is. */
function executableNames(binary: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  if (platform !== 'win32') return [binary];
  const exts = (env['PATHEXT'] ?? '.EXE;.CMD;.BAT;.COM').split(';').filter((e) => e !== '');
  return exts.map((ext) => binary + ext.toLowerCase());
}

/**
 * The installer packages are optional dependencies: absent on an `--omit=optional` install, and
 * on an unsupported platform their index throws (a string, not an Error) when required.
 */
async function fromOptionalPackage(packageName: string, resolveFrom: string | URL): Promise<string | undefined> {
  let exported: unknown;
  try {
    exported = createRequire(resolveFrom)(packageName);
  } catch {
    return undefined;
  }
  const p = (exported as { path?: unknown } | null)?.path;
  if (typeof p !== 'string' || p === '') return undefined;
  return (await isExecutableFile(p)) ? p : undefined;
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
