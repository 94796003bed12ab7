/**
 * The error registry: every stable code tidecast raises, with the module that raises it and a
 * one-line meaning. docs/errors.md lists the same codes; test/errors.test.ts keeps the two in sync.
 * A code, once published, is never renamed or reused for another meaning.
 */
export const ERROR_CODES = {
  ERR_BYTES_OUT_OF_RANGE: { module: 'bytes', summary: 'A read or write went past the end of a buffer.' },

  ERR_AMF_TRUNCATED: { module: 'amf', summary: 'An AMF value ended before its declared length.' },
  ERR_AMF_UNKNOWN_MARKER: { module: 'amf', summary: 'An AMF0 type marker that is not defined or not supported (movieclip, recordset).' },
  ERR_AMF_DEPTH_EXCEEDED: { module: 'amf', summary: 'Objects or arrays nested deeper than maxDepth.' },
  ERR_AMF_STRING_TOO_LONG: { module: 'amf', summary: 'A string longer than maxStringBytes.' },
  ERR_AMF_TOO_MANY_ITEMS: { module: 'amf', summary: 'An array or object with more entries than maxItems.' },
  ERR_AMF_BAD_REFERENCE: { module: 'amf', summary: 'An AMF0 reference to an object that was not decoded before it.' },
  ERR_AMF_UNENCODABLE: { module: 'amf', summary: 'A JavaScript value that has no AMF0 encoding (function, symbol, bigint, cycle).' },

  ERR_RTMP_HANDSHAKE_VERSION: { module: 'rtmp', summary: 'C0/S0 carried a protocol version other than 3 (or 6, encrypted, which is not supported).' },
  ERR_RTMP_HANDSHAKE_DIGEST: { module: 'rtmp', summary: 'The peer\'s complex-handshake digest did not verify.' },
  ERR_RTMP_HANDSHAKE_TIMEOUT: { module: 'rtmp', summary: 'The handshake did not complete within handshakeTimeoutMs.' },
  ERR_RTMP_CHUNK_SIZE_INVALID: { module: 'rtmp', summary: 'Set Chunk Size of 0, above 2^31-1, or above maxChunkSize.' },
  ERR_RTMP_MESSAGE_TOO_LARGE: { module: 'rtmp', summary: 'A message header declared a length above maxMessageLength.' },
  ERR_RTMP_PENDING_TOO_LARGE: { module: 'rtmp', summary: 'The incomplete messages of one session would declare more than maxPendingBytes.' },
  ERR_RTMP_PENDING_BUDGET: { module: 'rtmp', summary: 'The incomplete messages of all sessions would exceed maxTotalPendingBytes: the session over its share was refused, or the largest holders were closed to make room.' },
  ERR_RTMP_TOO_MANY_CHUNK_STREAMS: { module: 'rtmp', summary: 'More distinct chunk stream ids in one session than maxChunkStreams.' },
  ERR_RTMP_CHUNK_NO_PREVIOUS_HEADER: { module: 'rtmp', summary: 'A type 1, 2 or 3 chunk on a chunk stream that never had a type 0 header.' },
  ERR_RTMP_MESSAGE_MALFORMED: { module: 'rtmp', summary: 'A protocol control or user control message whose body is too short or has an impossible value (on any chunk stream), a message of another type where one kind was expected, or a new message header on a chunk stream whose message is incomplete.' },
  ERR_RTMP_COMMAND_MALFORMED: { module: 'rtmp', summary: 'A command message without a name and transaction id, or with arguments of the wrong type.' },
  ERR_RTMP_UNEXPECTED_COMMAND: { module: 'rtmp', summary: 'A command that is not valid in the session\'s state (publish before connect, media before publish).' },
  ERR_RTMP_IDLE_TIMEOUT: { module: 'rtmp', summary: 'No byte arrived within idleTimeoutMs.' },
  ERR_RTMP_TOO_MANY_CONNECTIONS: { module: 'rtmp', summary: 'The server already had maxConnections sessions open.' },
  ERR_RTMP_TOO_MANY_CONNECTIONS_FROM_ADDRESS: { module: 'rtmp', summary: 'The peer\'s address already had maxConnectionsPerAddress sessions open.' },
  ERR_RTMP_NO_STREAM_TIMEOUT: { module: 'rtmp', summary: 'A session neither published nor played for noStreamTimeoutMs (after connecting, or after its last stream ended).' },
  ERR_RTMP_OUTGOING_BUFFER_FULL: { module: 'rtmp', summary: 'A session had more than twice maxOutgoingBufferBytes unsent (a peer that does not read), or a player fell that far behind (bytes unsent plus bytes skipped); it was disconnected.' },
  ERR_RTMP_REJECTED: { module: 'rtmp', summary: 'The peer answered connect, createStream, publish or play with an error status.' },
  ERR_RTMP_CONNECTION_CLOSED: { module: 'rtmp', summary: 'The connection closed before the operation completed.' },
  ERR_RTMP_TIMEOUT: { module: 'rtmp', summary: 'A client operation (connect, publish, play) got no answer within its time limit.' },
  ERR_RTMP_HANDLER_THREW: { module: 'rtmp', summary: 'An event listener (the embedder\'s code) threw while a message was handled; that session was closed so the process goes on. The thrown value is the cause.' },
  ERR_RTMP_URL_INVALID: { module: 'rtmp', summary: 'An rtmp:// or rtmps:// URL that cannot be parsed into host, port, app and stream name.' },
  ERR_RTMP_PROXY_HEADER: { module: 'rtmp', summary: 'With proxyProtocol on, a connection did not begin with a valid PROXY protocol header (v1 line or v2 block: signature, version, command, family, address, port or TLV wrong, or longer than its cap); it was closed before any RTMP byte was read. Also thrown by the header encoders for a header the version cannot express.' },
  ERR_RTMP_PROXY_HEADER_TIMEOUT: { module: 'rtmp', summary: 'With proxyProtocol on, no complete PROXY protocol header arrived within proxyHeaderTimeoutMs of the connection.' },
  ERR_RTMP_PROXY_UNTRUSTED: { module: 'rtmp', summary: 'With proxyProtocol on, a connection came from an address outside proxyProtocolTrusted; it was closed at accept, before a byte was read.' },

  ERR_FLV_BAD_SIGNATURE: { module: 'flv', summary: 'An FLV file does not start with "FLV".' },
  ERR_FLV_BAD_HEADER: { module: 'flv', summary: 'The FLV header\'s DataOffset is below 9 or above FLV_MAX_DATA_OFFSET (4096).' },
  ERR_FLV_UNKNOWN_TAG_TYPE: { module: 'flv', summary: 'A tag type other than 8 (audio), 9 (video) or 18 (script data).' },
  ERR_FLV_TAG_TOO_LARGE: { module: 'flv', summary: 'A tag\'s DataSize is above maxTagBytes.' },
  ERR_FLV_PREVIOUS_TAG_SIZE_MISMATCH: { module: 'flv', summary: 'A PreviousTagSize is not 11 + DataSize of the tag before it (or not 0 for the first).' },
  ERR_FLV_TRUNCATED: { module: 'flv', summary: 'The FLV input ended inside the header or a tag.' },

  ERR_FLV_TAG_MALFORMED: { module: 'flv', summary: 'An audio, video or script tag body too short for its header or with an impossible field value.' },
  ERR_FLV_UNSUPPORTED_CODEC: { module: 'flv', summary: 'A codec id, sound format or FourCC tidecast does not carry.' },

  ERR_CODEC_TRUNCATED: { module: 'codec', summary: 'A decoder configuration, parameter set, NAL unit or ADTS frame ended before its syntax did.' },
  ERR_CODEC_INVALID: { module: 'codec', summary: 'A bitstream field outside its allowed range or inconsistent with another (H.264/H.265/AAC syntax).' },
  ERR_CODEC_UNSUPPORTED: { module: 'codec', summary: 'Valid syntax that tidecast does not handle (e.g. an AAC object type or an SPS extension it cannot parse).' },

  ERR_MEDIA_INVALID: { module: 'media', summary: 'A track or sample description that cannot be packaged (zero timescale, unknown track, negative duration).' },
  ERR_MEDIA_KEYFRAME_OVERDUE: { module: 'media', summary: 'A publisher sent no video keyframe for maxKeyframeIntervalMs or maxBytesWithoutKeyframe: its open segment could not be cut, so the publish was ended.' },
  ERR_MEDIA_AUTH_EXPIRED: { module: 'media', summary: 'A publish outlived its authorization (a callback\'s lifetime, a token\'s expiry); the publisher was told (NetStream.Failed) and its session closed.' },
  ERR_MEDIA_PUBLISHER_REPLACED: { module: 'media', summary: 'A newer publish of the same stream key took the stream over (the hub\'s takeover policy); the replaced publisher was told (NetStream.Failed) and its session closed.' },
  ERR_MEDIA_KICKED: { module: 'media', summary: 'An operator ended a publish or a play through the control API (POST /api/streams/:app/:key/kick, /api/sessions/:id/kick); the client was told (NetStream.Failed) and its session closed.' },
  ERR_MEDIA_TAKEN_OVER: { module: 'media', summary: 'Another origin of the cluster took the stream over (a newer publish claimed it in the registry, docs/cluster.md): this origin ended its publish of it and forwards its viewers to the new owner.' },
  ERR_MEDIA_STREAM_LIFECYCLE: { module: 'media', summary: 'A live stream\'s packaging, end or clean-up failed (a store write, a timer\'s step); that stream was reported and the server went on. The failure is the cause.' },

  ERR_CMAF_INVALID: { module: 'cmaf', summary: 'Box or segment input that cannot be written (samples of another track, a size beyond 32 bits, decreasing decode times).' },

  ERR_STORE_FULL: { module: 'store', summary: 'A MemoryStore put would take its total above maxBytes; the file was not stored.' },
  ERR_STORE_PATH_INVALID: { module: 'store', summary: 'A store path with \'..\', an absolute path, an empty part or a character outside [A-Za-z0-9._-].' },

  ERR_HLS_INVALID: { module: 'hls', summary: 'A playlist model that violates RFC 8216bis (missing duration, segment longer than the target, bad attribute value).' },

  ERR_CONFIG_INVALID: { module: 'config', summary: 'An option has a value outside its allowed range or of the wrong type.' },

  ERR_TRANSCODE_LADDER_INVALID: { module: 'transcode', summary: 'A ladder spec with fields missing, unknown, of the wrong type or out of range; `problems` names each field path.' },
  ERR_TRANSCODE_UNSUPPORTED: { module: 'transcode', summary: 'A ladder the available ffmpeg cannot run (an h265 rung below ffmpeg 6.1, which cannot write HEVC in FLV), or a source it cannot be planned for.' },
  ERR_TRANSCODE_OUTPUT: { module: 'transcode', summary: 'What ffmpeg wrote on a rung pipe is not the AVC video FLV the ladder asked for (another tag type or codec); the process is restarted.' },
  ERR_TRANSCODE_JOB_NOT_FOUND: { module: 'transcode', summary: 'No live job has the id asked for (never created, or deleted).' },
  ERR_TRANSCODE_JOB_STATE: { module: 'transcode', summary: 'A live job was asked for a state its current one does not lead to (stop a stopped job, resume a running one); `from` and `to` name both.' },
  ERR_TRANSCODE_JOB_LIMIT: { module: 'transcode', summary: 'The server keeps MAX_JOBS live jobs already: a new one is refused (429) until one is deleted.' },
  ERR_TRANSCODE_JOB_STOPPED: { module: 'transcode', summary: 'The live job of this stream key was stopped or deleted: its publisher is disconnected, and a publish is refused until the job is resumed.' },
  ERR_TRANSCODE_JOB_STORE_CORRUPT: { module: 'transcode', summary: 'The job store holds something that is not a job list (a JSON state file, or a Redis hash field); the file or key is named, nothing was overwritten.' },
  ERR_TRANSCODE_JOB_STORE_UNAVAILABLE: { module: 'transcode', summary: 'The job store could not be read or written (a file system error, or Redis unreachable); the job change was not made.' },
} as const satisfies Record<string, { module: string; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The modules codes belong to: 'bytes', 'amf', 'rtmp', … */
export type ErrorModule = (typeof ERROR_CODES)[ErrorCode]['module'];

/** The codes of one module: `CodeOf<'rtmp'>` is 'ERR_RTMP_HANDSHAKE_VERSION' | … */
export type CodeOf<M extends ErrorModule> = { [C in ErrorCode]: (typeof ERROR_CODES)[C]['module'] extends M ? C : never }[ErrorCode];
