import { HlsError, type ErrorDetails } from '../errors/index.js';

/**
 * The one error the playlist code raises: a model that would render into a playlist RFC 8216bis
 * calls invalid ("Playlists that violate these rules are invalid; clients MUST fail to parse
 * them", Section 4). `field` names the model path (e.g. `segments[3].uri`) so the caller can find
 * the value without parsing the message.
 */
export function invalid(field: string, message: string, details: ErrorDetails = {}): HlsError {
  return new HlsError('ERR_HLS_INVALID', `${field}: ${message}`, { field, ...details });
}
