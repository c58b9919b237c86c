// Loads `--projections MODULE`: a JavaScript (or TypeScript) module whose default export is an
// array of projections.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createJiti } from 'jiti';
import { ProjectionRegistry } from '../../projections/projectionRegistry.js';
import { UsageError } from './command.js';

const TYPESCRIPT = /\.(c|m)?tsx?$/;

/** Imports a JavaScript module, or a TypeScript one through jiti, in memory. */
export async function importModule(path: string): Promise<Record<string, unknown>> {
  if (!TYPESCRIPT.test(path)) return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  // TypeScript is transpiled in memory: nothing is written beside the module (a read-only
  // directory works, and no temporary file can race or be planted), nor to a cache.
  const jiti = createJiti(import.meta.url, { fsCache: false, moduleCache: false, tryNative: false, interopDefault: false });
  return (await jiti.import(path)) as Record<string, unknown>;
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
