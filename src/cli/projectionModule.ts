// Loads `--projections MODULE`: a JavaScript (or TypeScript) module whose default export is an
// array of projections.
import { existsSync, unlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ProjectionRegistry } from '../../projections/projectionRegistry.js';
import { UsageError } from './command.js';

async function importModule(path: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (e) {
    if (!/\.(c|m)?ts$/.test(path) || (e as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e;
  }
  // Node without TypeScript support: transpile next to the original (so relative imports of
  // compiled .js files still resolve), import, remove.
  let ts: typeof import('typescript');
  try {
    ts = (await import('typescript')).default;
  } catch {
    throw new UsageError(`--projections ${path}: this Node cannot load TypeScript; compile the module to JavaScript first`);
  }
  const out = ts.transpileModule(readFileSync(path, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: path,
  });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.mjs`);
  writeFileSync(tmp, out.outputText);
  try {
    return (await import(pathToFileURL(tmp).href)) as Record<string, unknown>;
  } finally {
    unlinkSync(tmp);
  }
}

/** The projections of MODULE's default export, checked (unique names, valid definitions). */
export async function loadProjections(module: string): Promise<ProjectionRegistry> {
  const path = resolve(module);
  if (!existsSync(path)) throw new UsageError(`--projections: no such file ${JSON.stringify(module)}`);
  const mod = await importModule(path);
  const list = mod.default;
  if (!Array.isArray(list)) {
    throw new UsageError(`--projections ${module}: the default export must be an array of projections, got ${list === undefined ? 'no default export' : typeof list}`);
  }
  try {
    return ProjectionRegistry.of(list);
  } catch (e) {
    throw new UsageError(`--projections ${module}: ${(e as Error).message}`);
  }
}
