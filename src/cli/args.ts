import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './command.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  /** Option values; every command option is a string option (--help is handled by main). */
  readonly values: Record<string, string | undefined>;
  readonly positionals: string[];
}

/** node:util parseArgs in strict mode, its errors turned into UsageError; accepts --help. */
export function parseCommandArgs(args: string[], options: Options): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | undefined>, positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The value of a required string option, or a UsageError naming it. */
export function requireOption(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.length === 0) throw new UsageError(`--${name} is required`);
  return v;
}

/** A non-negative integer argument, or a UsageError naming it and the value. */
export function parseSequence(name: string, text: string | undefined): number {
  if (text === undefined || !/^(0|[1-9]\d*)$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${name} must be a non-negative integer, got ${text === undefined ? 'nothing' : JSON.stringify(text)}`);
  }
  return Number(text);
}

/** The options of every command that opens a store. */
export const STORE_OPTIONS = { store: { type: 'string' }, config: { type: 'string' } } as const satisfies Options;

/** openStore options from --config (immudb credentials file); --store is read by the caller. */
export const storeConfig = (values: ParsedArgs['values']): { configFile?: string } =>
  values.config === undefined ? {} : { configFile: values.config };
