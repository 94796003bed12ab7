/**
 * docs/api.md's reference, rendered from the OpenAPI document the server serves (renderApiReference):
 * the routes by tag, each with its parameters, request body and answers, the JSON shapes written
 * as TypeScript-like types with the schemas' descriptions as comments. Answers that every
 * authenticated route gives alike (401, 403, 429) and the error body are shown once, at the top.
 * test/server/control-api-docs.test.ts fails when the page's copy differs from this rendering.
 */

/** The parts of an OpenAPI 3.0 document the reference reads. */
export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: { readonly title: string; readonly version: string; readonly description?: string };
  readonly paths: Readonly<Record<string, Readonly<Record<string, OpenApiOperation>>>>;
}

interface OpenApiOperation {
  readonly summary?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly security?: readonly object[];
  readonly parameters?: ReadonlyArray<{ readonly name: string; readonly in: string; readonly required?: boolean; readonly schema?: Schema; readonly description?: string }>;
  readonly requestBody?: { readonly content: Readonly<Record<string, { readonly schema?: Schema }>> };
  readonly responses: Readonly<Record<string, OpenApiResponse>>;
}

interface OpenApiResponse {
  readonly description: string;
  readonly headers?: Readonly<Record<string, { readonly description?: string }>>;
  readonly content?: Readonly<Record<string, { readonly schema?: Schema }>>;
}

/** A JSON schema as OpenAPI 3.0 writes it (what the renderer reads of it). */
export interface Schema {
  readonly type?: string;
  readonly description?: string;
  readonly format?: string;
  readonly enum?: readonly unknown[];
  readonly nullable?: boolean;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly items?: Schema;
  readonly anyOf?: readonly Schema[];
  readonly oneOf?: readonly Schema[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const JSON_TYPE = 'application/json';

/** The reference as markdown: a fixed function of `doc` (the same document gives the same text). */
export function renderApiReference(doc: OpenApiDocument): string {
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    METHODS.filter((m) => methods[m] !== undefined).map((method) => ({ path, method: method.toUpperCase(), op: methods[method]! })),
  );
  const secured = operations.filter((o) => (o.op.security?.length ?? 0) > 0);
  const common = commonResponses(secured.map((o) => o.op));
  const errorShape = operations.flatMap((o) => Object.values(o.op.responses)).map(jsonSchema).find(isErrorBody);
  const out: string[] = [`${doc.info.title} ${doc.info.version}: the OpenAPI ${doc.openapi} document is \`GET /api/openapi.json\`, browsable at \`/api/docs\`.`, ''];
  if (errorShape !== undefined) out.push('Errors are JSON objects (`Error` below):', '', '```ts', `type Error = ${shape(errorShape, '')}`, '```', '');
  if (common.size > 0) {
    out.push('Every route that needs authentication may also answer:', '', '| status | when | headers |', '| --- | --- | --- |');
    for (const [status, response] of common) out.push(`| ${status} | ${cell(response.description)} | ${headerList(response)} |`);
    out.push('');
  }
  const tags = [...new Set(operations.map((o) => o.op.tags?.[0] ?? 'other'))];
  for (const tag of tags) {
    out.push(`### ${tag}`, '');
    for (const { path, method, op } of operations.filter((o) => (o.op.tags?.[0] ?? 'other') === tag)) out.push(...renderOperation(method, path, op, common));
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function renderOperation(method: string, path: string, op: OpenApiOperation, common: Map<string, OpenApiResponse>): string[] {
  const out = [`#### \`${method} ${path}\`${op.summary === undefined ? '' : `: ${op.summary}`}`, ''];
  if (op.description !== undefined) out.push(op.description, '');
  if ((op.security?.length ?? 1) === 0) out.push('Open: no token needed.', '');
  const parameters = op.parameters ?? [];
  if (parameters.length > 0) {
    out.push('| parameter | in | type | |', '| --- | --- | --- | --- |');
    for (const p of parameters) out.push(`| \`${p.name}\`${p.required === true ? '' : ' (optional)'} | ${p.in} | ${cell(p.schema === undefined ? 'string' : inline(p.schema))} | ${cell(p.description ?? p.schema?.description ?? '')} |`);
    out.push('');
  }
  const body = op.requestBody?.content[JSON_TYPE]?.schema;
  if (body !== undefined) out.push('Request body (JSON):', '', '```ts', shape(body, ''), '```', '');
  const own = Object.entries(op.responses).filter(([status, r]) => common.get(status)?.description !== r.description || (op.security?.length ?? 0) === 0);
  out.push('| status | when | body |', '| --- | --- | --- |');
  for (const [status, response] of own) out.push(`| ${status} | ${cell(response.description)} | ${cell(bodyName(response))} |`);
  out.push('');
  for (const [status, response] of own) {
    const schema = jsonSchema(response);
    if (schema === undefined || isErrorBody(schema) || !hasFields(schema)) continue;
    out.push(`${status}:`, '', '```ts', shape(schema, ''), '```', '');
  }
  return out;
}

/** The answers most operations of `ops` give alike (same status, same description): a route that differs shows its own. */
function commonResponses(ops: readonly OpenApiOperation[]): Map<string, OpenApiResponse> {
  const counts = new Map<string, { status: string; response: OpenApiResponse; count: number }>();
  for (const op of ops) {
    for (const [status, response] of Object.entries(op.responses)) {
      const key = `${status} ${response.description}`;
      const seen = counts.get(key) ?? { status, response, count: 0 };
      seen.count += 1;
      counts.set(key, seen);
    }
  }
  const common = [...counts.values()].filter((c) => c.count * 2 > ops.length).sort((a, b) => a.status.localeCompare(b.status));
  return new Map(common.map((c) => [c.status, c.response]));
}

function jsonSchema(response: OpenApiResponse): Schema | undefined {
  return response.content?.[JSON_TYPE]?.schema;
}

/** The error body: an object whose one required field is `error`. */
function isErrorBody(schema: Schema | undefined): schema is Schema {
  return schema?.type === 'object' && schema.required?.length === 1 && schema.required[0] === 'error';
}

function bodyName(response: OpenApiResponse): string {
  const schema = jsonSchema(response);
  if (schema !== undefined) return isErrorBody(schema) ? '`Error`' : hasFields(schema) ? 'JSON, below' : `\`${inline(schema)}\``;
  const type = Object.keys(response.content ?? {})[0];
  return type === undefined ? 'none' : `\`${type}\``;
}

/** An object with declared fields, or an array: worth a block of its own. */
function hasFields(schema: Schema): boolean {
  return schema.type === 'array' || Object.keys(schema.properties ?? {}).length > 0;
}

function headerList(response: OpenApiResponse): string {
  return Object.entries(response.headers ?? {}).map(([name, h]) => `\`${name}\`${h.description === undefined ? '' : `: ${cell(h.description)}`}`).join(', ');
}

/** A schema on one line: `string`, `integer 1 to 1000`, `'a' \| 'b'`, `object`. */
function inline(schema: Schema): string {
  const range = schema.minimum !== undefined && schema.maximum !== undefined ? ` ${schema.minimum} to ${schema.maximum}` : '';
  return shape(schema, '') + range;
}

/** A schema as a TypeScript-like type, objects over several lines indented from `indent`, descriptions as comments. */
function shape(schema: Schema, indent: string): string {
  const nullable = schema.nullable === true ? ' | null' : '';
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives !== undefined) return alternatives.map((s) => shape(s, indent)).join(' | ') + nullable;
  if (schema.enum !== undefined) return schema.enum.map((v) => JSON.stringify(v)).join(' | ') + nullable;
  if (schema.type === 'array') return `Array<${schema.items === undefined ? 'unknown' : shape(schema.items, indent)}>${nullable}`;
  if (schema.type === 'object' || schema.properties !== undefined) {
    const properties = Object.entries(schema.properties ?? {});
    if (properties.length === 0) return `object${nullable}`;
    const inner = `${indent}  `;
    const lines = properties.map(([name, p]) => {
      const optional = schema.required?.includes(name) === true ? '' : '?';
      const comment = p.description === undefined ? '' : ` // ${p.description}`;
      return `${inner}${name}${optional}: ${shape(p, inner)};${comment}`;
    });
    return `{\n${lines.join('\n')}\n${indent}}${nullable}`;
  }
  const format = schema.format === undefined ? '' : ` /* ${schema.format} */`;
  return `${schema.type ?? 'unknown'}${format}${nullable}`;
}

/** Text for a table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replaceAll('|', '\\|');
}
