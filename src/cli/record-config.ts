import { Type, type Static } from '@sinclair/typebox';
import type { MediaServerOptions } from '../server/index.js';
import { DEFAULT_MAX_DURATION_SECONDS, DEFAULT_MIN_FREE_BYTES, DEFAULT_PATH_TEMPLATE } from '../server/recorder-options.js';

/**
 * The `record` section of the config file (docs/recording.md), as control-config.ts writes the
 * control plane's: a TypeBox schema that checks the file (a bad template token is refused naming
 * `record.pathTemplate`), names the TIDECAST_RECORD_* variables and writes the example;
 * `recordOptions` turns it, with the `--record on|off` setting (`recordAll`), into
 * createMediaServer's `record` option. A folder the server cannot write is refused at start
 * (`record.dir`), by the server itself.
 */

/** `tidecast serve`'s recordings folder, relative to where it runs. */
export const DEFAULT_RECORD_DIR = './recordings';

export const RECORD_SCHEMA = Type.Object(
  {
    dir: Type.Optional(Type.String({ default: DEFAULT_RECORD_DIR, description: 'The folder recordings are written under (made when missing; the server must be able to write it).' })),
    apps: Type.Optional(
      Type.Array(Type.String({ format: 'app-pattern' }), { default: [], examples: [['live']], description: 'Apps whose every publish is recorded (* matches any characters; [*] records everything).' }),
    ),
    keys: Type.Optional(Type.Array(Type.String({ format: 'key-pattern' }), { default: [], examples: [['events/show-*']], description: 'Streams recorded, as app/key patterns (* matches any characters).' })),
    pathTemplate: Type.Optional(
      Type.String({
        format: 'template',
        default: DEFAULT_PATH_TEMPLATE,
        description: 'Each recording\'s folder under dir: %app %key, and its start in UTC: %Y %m %d %H %M %S %f (ms) %s (epoch seconds).',
      }),
    ),
    maxDurationSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 31 * 86_400, default: DEFAULT_MAX_DURATION_SECONDS, description: 'A longer recording is cut at a segment boundary and goes on in a new one, s.' })),
    deleteAfterSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 * 365 * 86_400, examples: [604_800], description: 'Recordings that ended longer ago are deleted, s. Default: kept.' })),
    minFreeBytes: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 2 ** 53 - 1, default: DEFAULT_MIN_FREE_BYTES, description: 'Under this many free bytes on its disk, recording stops (recording.failed); live streams go on.' }),
    ),
  },
  {
    title: 'recording of live streams to disk, crash-safe CMAF with VOD playlists (docs/recording.md)',
    description: 'Recording (docs/recording.md); --record on records every stream. Default: none (no recorder; with the section, apps and keys choose, and the API or a publish callback start the others).',
  },
);

export type RecordConfig = Static<typeof RECORD_SCHEMA>;

/**
 * The `record` option: with `recordAll` (`--record on`) every stream, into the section's dir or
 * ./recordings; `--record off` records no publish by itself (the API and publish callbacks still
 * can when the section is there); unset, the section's apps and keys choose. No option without
 * either: no recorder.
 */
export function recordOptions(config: { record?: RecordConfig; recordAll?: boolean }): Pick<MediaServerOptions, 'record'> {
  const { record, recordAll } = config;
  if (record === undefined && recordAll !== true) return {};
  const apps = record?.apps ?? [];
  const keys = record?.keys ?? [];
  const streams = recordAll === true ? 'all' : recordAll === false || (apps.length === 0 && keys.length === 0) ? 'none' : { apps, keys };
  return {
    record: {
      dir: record?.dir ?? DEFAULT_RECORD_DIR,
      streams,
      ...(record?.pathTemplate === undefined ? {} : { pathTemplate: record.pathTemplate }),
      ...(record?.maxDurationSeconds === undefined ? {} : { maxDurationSeconds: record.maxDurationSeconds }),
      ...(record?.deleteAfterSeconds === undefined ? {} : { deleteAfterSeconds: record.deleteAfterSeconds }),
      ...(record?.minFreeBytes === undefined ? {} : { minFreeBytes: record.minFreeBytes }),
    },
  };
}
