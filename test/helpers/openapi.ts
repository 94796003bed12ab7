import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/**
 * The control API's tests call it only through what its OpenAPI document declares (issue 12, Done
 * when 4): before each call the method and path (its query left out) must match an operation of
 * `/api/openapi.json`, `{param}` standing for one path segment, and the answer's status must be
 * one that operation lists. A test that calls an undocumented route, or gets an undocumented
 * status, fails there.
 */

export interface ApiDocument {
  readonly paths: Readonly<Record<string, Readonly<Record<string, { readonly responses: Readonly<Record<string, unknown>>; readonly security?: readonly unknown[] }>>>>;
}

export type Operation = ApiDocument['paths'][string][string];

/** The operation of `doc` that `method url` is, or undefined. */
export function operationOf(doc: ApiDocument, method: string, url: string): Operation | undefined {
  const path = url.replace(/[?#].*$/, '');
  for (const [template, methods] of Object.entries(doc.paths)) {
    const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (pattern.test(path)) return methods[method.toLowerCase()];
  }
  return undefined;
}

function documented(doc: ApiDocument, method: string, url: string): Operation {
  const operation = operationOf(doc, method, url);
  if (operation === undefined) throw new Error(`${method} ${url} is not an operation of /api/openapi.json`);
  return operation;
}

function declared(operation: Operation, method: string, url: string, status: number): void {
  if (operation.responses[String(status)] === undefined) throw new Error(`${method} ${url} answered ${status}, which /api/openapi.json does not list for it (${Object.keys(operation.responses).join(', ')})`);
}

export interface InjectOptions {
  readonly headers?: Record<string, string>;
  readonly remoteAddress?: string;
  readonly body?: unknown;
}

/** `app.inject` for documented operations only. */
export function documentedInject(app: FastifyInstance, doc: ApiDocument) {
  return async (method: 'GET' | 'POST' | 'DELETE', url: string, options: InjectOptions = {}): Promise<LightMyRequestResponse> => {
    const operation = documented(doc, method, url);
    const answer = await app.inject({ method, url, ...(options.headers === undefined ? {} : { headers: options.headers }), ...(options.remoteAddress === undefined ? {} : { remoteAddress: options.remoteAddress }), ...(options.body === undefined ? {} : { payload: options.body as object }) });
    declared(operation, method, url, answer.statusCode);
    return answer;
  };
}

/** `fetch` of `base` + a documented operation only. */
export function documentedFetch(base: string, doc: ApiDocument) {
  return async (method: 'GET' | 'POST' | 'DELETE', url: string, headers: Record<string, string> = {}): Promise<Response> => {
    const operation = documented(doc, method, url);
    const answer = await fetch(`${base}${url}`, { method, headers });
    declared(operation, method, url, answer.status);
    return answer;
  };
}
