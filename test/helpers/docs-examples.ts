import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FormatDiagnosticsHost } from 'typescript';

/**
 * Running the code examples of docs/*.md: pick a section and its fenced blocks out of a page, point
 * the package's `tidecast/<module>` specifiers at src/, run the code with tsx in a temporary
 * directory and collect its stdout, or type-check examples against the project's tsconfig.
 */

/** The repository root, with a trailing separator. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const require = createRequire(import.meta.url);
/**
 * tsx as a loader in the one node process (`node --import <tsx>`): the tsx CLI would start a second
 * node for the example, a quarter of a second more per run. An absolute path, so that it resolves
 * from a temporary directory too.
 */
const tsxLoader = pathToFileURL(require.resolve('tsx')).href;

/** A runaway example is killed after this; they take a few seconds at most. */
const DEFAULT_TIMEOUT_MS = 60_000;

/** Room for examples that print a line per tag of a fixture. */
const MAX_BUFFER = 1 << 24;

/** The text of docs/<name>, e.g. `readDoc('hls.md')`. */
export function readDoc(name: string): string {
  return readFileSync(join(repoRoot, 'docs', name), 'utf8');
}

/**
 * The `## <heading>` section of a page: from its heading line to the next `## ` heading, or to the
 * end of the page when it is the last section.
 */
export function markdownSection(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`no "## ${heading}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

/** The bodies of the ```<language> fenced blocks in `markdown`, in order. */
export function codeBlocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

/** The body of the first ```<language> fenced block in `markdown`; throws when there is none. */
export function firstCodeBlock(markdown: string, language: string): string {
  const block = codeBlocks(markdown, language)[0];
  if (block === undefined) throw new Error(`no \`\`\`${language} block`);
  return block;
}

/** `code` with every `from 'tidecast/<module>'` pointed at the absolute path of src/<module>/index.ts. */
export function pointAtSources(code: string): string {
  return code.replace(/from 'tidecast\/(\w+)'/g, (_m, module: string) => `from '${join(repoRoot, 'src', module, 'index.ts')}'`);
}

/**
 * `code` with every `from '<name>'` of the given installed packages (e.g. 'fastify') pointed at the
 * absolute path of the package's entry, for an example that runs, or is type-checked, outside the
 * repository (TypeScript finds the package's .d.ts next to that entry).
 */
export function pointAtPackages(code: string, names: readonly string[]): string {
  return names.reduce((text, name) => text.replaceAll(`from '${name}'`, `from '${require.resolve(name, { paths: [repoRoot] })}'`), code);
}

/** Runs `use` with a fresh temporary directory, removed afterwards whatever happens. */
export async function withTempDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'tidecast-doc-'));
  try {
    return await use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `node <args>` in `cwd`; resolves to stdout, rejects with stdout and stderr in the message. */
function runNode(args: string[], cwd: string, timeoutMs: number, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd, env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: MAX_BUFFER, encoding: 'utf8' },
      (err, stdout, stderr) =>
        err ? reject(new Error(`node ${args.join(' ')} failed in ${cwd}: ${err.message}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`)) : resolve(stdout),
    );
  });
}

export interface RunExampleOptions {
  /** Added to the environment of the current process. */
  env?: NodeJS.ProcessEnv;
  /** Working directory of the run; the temporary directory holding the example by default. */
  cwd?: string;
  /** The run is killed after this; 60 s by default. */
  timeoutMs?: number;
  /** Name the code is written under: `example.ts` by default; `.mts` makes it an ES module (top-level await). */
  fileName?: string;
}

/**
 * Writes `code` to a temporary directory, runs it with tsx and resolves to its stdout. A failed
 * run rejects with its stdout and stderr; the directory is removed either way.
 */
export function runExample(code: string, options: RunExampleOptions = {}): Promise<string> {
  const { env, cwd, timeoutMs = DEFAULT_TIMEOUT_MS, fileName = 'example.ts' } = options;
  return withTempDir(async (dir) => {
    const file = join(dir, fileName);
    writeFileSync(file, code);
    return runNode(['--import', tsxLoader, file], cwd ?? dir, timeoutMs, env);
  });
}

/**
 * Type-checks each of `examples` as written (an ES module of its own), all in one TypeScript program:
 * the compiler and src/'s types are loaded once for every example, where a `tsc` run per example
 * took 2–3 s each. `tidecast/<module>` resolves to src/<module>/index.ts through the project's
 * tsconfig paths. Resolves to each example's diagnostics as tsc prints them (those of no example,
 * such as options, in every list), in the order given; an empty list means the example type-checks.
 */
export function typecheckExamples(examples: readonly string[]): Promise<string[][]> {
  return withTempDir(async (dir) => {
    const files = examples.map((code, i) => {
      const file = join(dir, `example-${i}.mts`);
      writeFileSync(file, code);
      return file;
    });
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    const config = {
      extends: join(repoRoot, 'tsconfig.json'),
      compilerOptions: {
        noEmit: true,
        rootDir: '/',
        paths: { 'tidecast/*': [join(repoRoot, 'src/*/index.ts')] },
        typeRoots: [join(repoRoot, 'node_modules/@types')],
      },
      // include, not files: the project's include would be inherited (extends) and bring the whole project.
      include: files.map((file) => basename(file)),
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config));
    // Loaded here: only the type-check needs the compiler, not every test that runs an example.
    const ts = (await import('typescript')).default;
    const host: FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => dir, getNewLine: () => '\n' };
    const parsed = ts.getParsedCommandLineOfConfigFile(join(dir, 'tsconfig.json'), {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.formatDiagnostics([d], host));
      },
    })!;
    const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, projectReferences: parsed.projectReferences });
    // Everything tsc would report for the program: an example's own diagnostics go to it, the rest
    // (options, globals, a file under src/ that fails in this setting) to every example.
    const all = [...parsed.errors, ...ts.getPreEmitDiagnostics(program)];
    const shared = all.filter((d) => d.file === undefined || !files.includes(d.file.fileName));
    return files.map((file) => {
      if (program.getSourceFile(file) === undefined) throw new Error(`${file} is not in the program`);
      return [...all.filter((d) => d.file?.fileName === file), ...shared].map((d) => ts.formatDiagnostics([d], host).trimEnd());
    });
  });
}

/**
 * The rows of the first table in `markdown` whose header row starts with the cell `firstHeader`,
 * each as header → cell text (trimmed, `\|` unescaped). Throws when there is no such table.
 */
export function markdownTable(markdown: string, firstHeader: string): Array<Record<string, string>> {
  const cells = (line: string): string[] =>
    line.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((cell) => cell.trim().replaceAll('\\|', '|'));
  const lines = markdown.split('\n');
  const start = lines.findIndex((line, i) => line.trimStart().startsWith('|') && cells(line)[0] === firstHeader && /^\s*\|[\s|:-]+\|?\s*$/.test(lines[i + 1] ?? ''));
  if (start < 0) throw new Error(`no table whose first header is "${firstHeader}"`);
  const headers = cells(lines[start]!);
  const rows: Array<Record<string, string>> = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.trimStart().startsWith('|')) break;
    const row = cells(line);
    rows.push(Object.fromEntries(headers.map((header, i) => [header, row[i] ?? ''])));
  }
  return rows;
}

/** A request of a docs page's ```http block: `METHOD /path`, header lines, a blank line, a body. */
export interface HttpRequestExample {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The body as written; '' when there is none. */
  readonly body: string;
}

/** A response of a docs page's ```http block: `HTTP/1.1 <status> <reason>`, header lines, a blank line, a body. */
export interface HttpResponseExample {
  readonly status: number;
  readonly reason: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * The ```http blocks of `markdown` in order, each request paired with the response block that
 * follows it (undefined when the next block is another request). Header names are lower case.
 */
export function httpExchanges(markdown: string): Array<{ request: HttpRequestExample; response: HttpResponseExample | undefined }> {
  const parse = (block: string): { first: string; headers: Record<string, string>; body: string } => {
    const [head = '', ...rest] = block.split(/\n\s*\n/);
    const [first = '', ...headerLines] = head.split('\n');
    const headers = Object.fromEntries(headerLines.filter((line) => line.trim() !== '').map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
    return { first: first.trim(), headers, body: rest.join('\n\n').trim() };
  };
  const blocks = codeBlocks(markdown, 'http').map(parse);
  const exchanges: Array<{ request: HttpRequestExample; response: HttpResponseExample | undefined }> = [];
  blocks.forEach((block, i) => {
    const request = /^([A-Z]+) (\S+)$/.exec(block.first);
    if (request === null) {
      if (!/^HTTP\/1\.1 \d{3} /.test(block.first)) throw new Error(`an http block that is neither a request nor a response: ${block.first}`);
      return;
    }
    const next = blocks[i + 1];
    const status = next === undefined ? null : /^HTTP\/1\.1 (\d{3}) (.+)$/.exec(next.first);
    exchanges.push({
      request: { method: request[1]!, path: request[2]!, headers: block.headers, body: block.body },
      response: next === undefined || status === null ? undefined : { status: Number(status[1]), reason: status[2]!, headers: next.headers, body: next.body },
    });
  });
  return exchanges;
}

/** How matchExample reads a page's example values. */
export interface ExampleMatchOptions {
  /** Placeholders already known (`<id>` → the id the server gave); others match any run of [A-Za-z0-9_-]. */
  readonly bound?: Readonly<Record<string, string>>;
  /** Text replaced in every example string before matching, e.g. the page's `http://localhost:8080` → the test server's. */
  readonly replace?: ReadonlyArray<readonly [string, string]>;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Where `actual` (a real answer) differs from `example` (a page's): objects must have the same keys,
 * arrays the same length, numbers, booleans and null the same values, strings the same text, except
 * that `<name>` placeholders stand for a bound value or any token, and an ISO 8601 time for any
 * such time. Returns one line per difference, with its path; none means they match.
 */
export function exampleDifferences(actual: unknown, example: unknown, options: ExampleMatchOptions = {}, path = '$'): string[] {
  const shown = (value: unknown): string => JSON.stringify(value)?.slice(0, 120) ?? String(value);
  if (typeof example === 'string') {
    if (typeof actual !== 'string') return [`${path}: a string in the example, ${shown(actual)} in the answer`];
    const text = (options.replace ?? []).reduce((t, [from, to]) => t.replaceAll(from, to), example);
    if (ISO_TIME.test(text)) return ISO_TIME.test(actual) ? [] : [`${path}: a time in the example, ${shown(actual)} in the answer`];
    const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const pattern = text
      .split(/(<[a-z]+>)/)
      .map((part) => (/^<[a-z]+>$/.test(part) ? (options.bound?.[part] === undefined ? '[A-Za-z0-9_-]+' : escape(options.bound[part]!)) : escape(part)))
      .join('');
    return new RegExp(`^${pattern}$`).test(actual) ? [] : [`${path}: ${shown(text)} in the example, ${shown(actual)} in the answer`];
  }
  if (Array.isArray(example)) {
    if (!Array.isArray(actual)) return [`${path}: an array in the example, ${shown(actual)} in the answer`];
    if (actual.length !== example.length) return [`${path}: ${example.length} items in the example, ${actual.length} in the answer`];
    return example.flatMap((item, i) => exampleDifferences(actual[i], item, options, `${path}[${i}]`));
  }
  if (typeof example === 'object' && example !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return [`${path}: an object in the example, ${shown(actual)} in the answer`];
    const keys = Object.keys(example).sort();
    const actualKeys = Object.keys(actual).sort();
    if (keys.join() !== actualKeys.join()) return [`${path}: keys ${keys.join(', ')} in the example, ${actualKeys.join(', ')} in the answer`];
    return keys.flatMap((key) => exampleDifferences((actual as Record<string, unknown>)[key], (example as Record<string, unknown>)[key], options, `${path}.${key}`));
  }
  return Object.is(actual, example) ? [] : [`${path}: ${shown(example)} in the example, ${shown(actual)} in the answer`];
}
