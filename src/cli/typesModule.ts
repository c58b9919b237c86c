// Loads `--types MODULE` (or "types" in the config file): a consumer's event types and payload
// codecs, registered on top of the seed's for append, read and replay.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EventTypeRegistry, type PayloadCodec } from '../ledger/eventTypeRegistry.js';
import { IMMUDB_ENV } from '../stores/immudb/immudbConfig.js';
import { readSideFileSync } from '../stores/sideFile.js';
import { UsageError, type OptionDefs, type ParsedArgs } from './command.js';
import { importModule } from './projectionModule.js';

export const TYPES_OPTION = {
  types: { value: 'MODULE', description: 'register event types: a module (.js or .ts) whose default export is (registry) => registry.register(type, codec)... or an array of [type, codec]' },
} as const satisfies OptionDefs;

/** The hint that ends an "unknown event type" message of the CLI. */
export const TYPES_HINT = 'register it with --types MODULE (or "types" in the --config file): a module whose default export is (registry) => registry.register("TYPE", codec)';

const isCodec = (c: unknown): c is PayloadCodec => typeof c === 'object' && c !== null && typeof (c as { decode?: unknown }).decode === 'function';

/** The seed's types plus MODULE's, checked: a malformed export is a UsageError naming the module. */
export async function loadTypes(module: string, source = '--types'): Promise<EventTypeRegistry> {
  const path = resolve(module);
  if (!existsSync(path)) throw new UsageError(`${source}: no such file ${JSON.stringify(module)}`);
  const exported = (await importModule(path)).default;
  const registry = EventTypeRegistry.withSeedTypes();
  try {
    if (typeof exported === 'function') {
      await (exported as (r: EventTypeRegistry) => unknown)(registry);
    } else if (Array.isArray(exported)) {
      exported.forEach((entry: unknown, i) => {
        if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || !isCodec(entry[1])) {
          throw new Error(`entry ${i} must be [type, codec] (an io-ts codec), got ${JSON.stringify(entry) ?? typeof entry}`);
        }
        registry.register(entry[0], entry[1]);
      });
    } else {
      throw new Error(`the default export must be (registry) => ... or an array of [type, codec], got ${exported === undefined ? 'no default export' : typeof exported}`);
    }
  } catch (e) {
    throw new UsageError(`${source} ${module}: ${(e as Error).message}`);
  }
  return registry;
}

/**
 * The registry for a command: --types, else "types" of the config file (--config, or
 * $FMWK_LEDGER_CONFIG; relative to the file), else undefined (the seed's types).
 */
export async function typesRegistry(values: ParsedArgs['values'], env: NodeJS.ProcessEnv = process.env): Promise<EventTypeRegistry | undefined> {
  if (values.types !== undefined) return loadTypes(values.types);
  const configFile = values.config ?? (env[IMMUDB_ENV.configFile] || undefined);
  if (configFile === undefined) return undefined;
  const { text } = readSideFileSync('--config', configFile, 'config');
  let types: unknown;
  try {
    types = (JSON.parse(text) as { types?: unknown }).types;
  } catch {
    // The parser's message can quote the file's content (a password): only say what is wrong.
    throw new UsageError(`--config ${configFile}: not valid JSON`);
  }
  if (types === undefined) return undefined;
  if (typeof types !== 'string' || types.length === 0) throw new UsageError(`--config ${configFile}: "types" must be a module path, got ${JSON.stringify(types)}`);
  return loadTypes(resolve(dirname(configFile), types), `"types" of ${configFile}`);
}
