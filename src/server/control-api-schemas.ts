import { Type, type TSchema, type TUnsafe } from '@sinclair/typebox';

/**
 * The control API's JSON shapes as TypeBox schemas (docs/api.md is generated from them through the
 * OpenAPI document). A response schema is also fastify's serializer for that answer
 * (fast-json-stringify): a field it does not declare is left out of the answer, so every field the
 * server sends is declared here, and the figures that belong to another page (a ladder's, a job's
 * spec) are open objects.
 */

/** A string of one of `values`: `enum`, which OpenAPI 3.0 has (TypeBox's literal unions give `const`, which it has not). */
export function stringEnum<T extends string>(values: readonly T[], description?: string): TUnsafe<T> {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description === undefined ? {} : { description }) });
}

/** An object whose fields another page documents: sent as it is. */
export function openObject(description: string): TSchema {
  return Type.Object({}, { additionalProperties: true, description });
}

/** Every error answer: `error` (a stable code or a short phrase), and what else the route says about it. */
export function errorBody(description: string, headers?: Record<string, TSchema>): TSchema {
  return Type.Object(
    {
      error: Type.String({ description: 'A stable code (`ERR_…`, docs/errors.md) or a short phrase' }),
      message: Type.Optional(Type.String()),
      problems: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }), { description: 'Each bad field, by its path' })),
      details: Type.Optional(openObject('The values involved')),
      statusCode: Type.Optional(Type.Integer({ description: "fastify's own errors (a body that is not JSON) carry these two" })),
      code: Type.Optional(Type.String()),
    },
    { description, ...(headers === undefined ? {} : { headers }) },
  );
}

/** `?limit=&after=`: a page of a list sorted by id, continued after the id the last page's `next` gave. */
export const DEFAULT_PAGE_LIMIT = 100;
/** The largest page: a dashboard lists a few hundred streams at most; more is a paging client's job. */
export const MAX_PAGE_LIMIT = 1000;

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_LIMIT, description: `Items per page, default ${DEFAULT_PAGE_LIMIT}` })),
  after: Type.Optional(Type.String({ description: 'The `next` of the previous page' })),
});

export const StreamParams = Type.Object({
  app: Type.String({ description: 'The RTMP app' }),
  key: Type.String({ description: 'The stream key (its public name)' }),
});

const StreamCountersSchema = Type.Object(
  {
    readerDroppedSamples: Type.Integer(),
    rtmpPlayerDroppedFrames: Type.Integer(),
    partsOffTarget: Type.Integer(),
    tagsBeforeConfig: Type.Integer(),
    tagsUnsupported: Type.Integer(),
    parkedExpired: Type.Integer(),
    parkedRefused: Type.Integer(),
  },
  { description: 'Since the key was first published, each a count that should stay 0 (docs/http.md)' },
);

/** One live stream (StreamSummary, src/http/streams-api.ts). */
export const StreamSchema = Type.Object(
  {
    app: Type.String(),
    streamKey: Type.String(),
    video: Type.Optional(Type.Object({ codec: Type.String({ description: 'RFC 6381 codec string' }), width: Type.Integer(), height: Type.Integer(), frameRate: Type.Optional(Type.Number()) })),
    audio: Type.Optional(Type.Object({ codec: Type.String(), sampleRate: Type.Integer(), channels: Type.Integer() })),
    bitrateKbps: Type.Number({ description: "Payload bit rate over the hub's window, kb/s" }),
    uptimeSeconds: Type.Number(),
    playlist: Type.String({ description: 'URL path of the multivariant playlist' }),
    counters: Type.Optional(StreamCountersSchema),
    ladder: Type.Optional(openObject("The ABR ladder's live figures (docs/transcode.md)")),
    dash: Type.Object({ mpd: Type.String(), lowLatencyMpd: Type.String(), notLowLatency: Type.Optional(Type.String()) }),
  },
  { description: 'A live stream (docs/http.md "GET /api/streams")' },
);

const HealthFindingSchema = Type.Object({
  type: Type.String({ description: 'e.g. gopLongerThanSegment, variableFrameRate (docs/health.md)' }),
  severity: stringEnum(['error', 'warning', 'info']),
  actual: Type.String(),
  expected: Type.String(),
  advice: Type.String({ description: "The encoder setting that fixes it (OBS's and ffmpeg's)" }),
});

/** A stream key's health report (docs/health.md). */
export const HealthSchema = Type.Object(
  {
    app: Type.String(),
    streamKey: Type.String(),
    status: stringEnum(['good', 'ok', 'bad', 'noData']),
    findings: Type.Array(HealthFindingSchema),
    measures: Type.Object({
      windowSeconds: Type.Number(),
      frameRate: Type.Optional(Type.Number()),
      keyframeIntervalSeconds: Type.Optional(Type.Number()),
      bitsPerSecond: Type.Number(),
      maxCompositionOffsetMs: Type.Number(),
    }),
  },
  { description: "The health report of the key's newest publish" },
);

/** An RTMP publisher or player, or an HTTP viewer (control-api-sessions.ts). */
export const SessionSchema = Type.Object(
  {
    id: Type.String({ description: '`rtmp-<connection>-<message stream>`, or `hls-…`/`dash-…` for a viewer' }),
    protocol: stringEnum(['rtmp', 'hls', 'dash']),
    role: stringEnum(['publisher', 'player', 'viewer']),
    app: Type.String(),
    streamKey: Type.String(),
    remoteAddress: Type.String(),
    startedAt: Type.String({ format: 'date-time' }),
    bytes: Type.Optional(Type.Object({ received: Type.Integer(), sent: Type.Integer() }, { description: "The RTMP connection's bytes" })),
    requests: Type.Optional(Type.Integer({ description: "An HTTP viewer's requests" })),
  },
  { description: 'A session' },
);

/** A refused publish or play (ControlPlane.recentDenials). */
export const DenialSchema = Type.Object({
  at: Type.String({ format: 'date-time' }),
  atMs: Type.Integer(),
  action: Type.String(),
  app: Type.String(),
  key: Type.String({ description: 'A refused publish key by its start and length only: it may be a mistyped secret' }),
  ip: Type.String(),
  reason: Type.String(),
});

export const ConfigSchema = Type.Object(
  {
    settings: Type.Object({
      httpPort: Type.Integer(),
      httpHost: Type.String(),
      endGraceMs: Type.Integer(),
      endedRetentionMs: Type.Integer(),
      maxKeyframeIntervalMs: Type.Integer(),
      maxBytesWithoutKeyframe: Type.Integer(),
      rtmpPlayAbsoluteTimestamps: Type.Boolean(),
    }),
    rtmp: openObject("The RTMP server's resolved options"),
    hls: openObject('The live packaging options, defaults filled in'),
    options: openObject('The options the server was started with, secrets redacted'),
  },
  { description: 'The effective configuration; tokens, keys, secrets and passwords read `<redacted>`' },
);
