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
