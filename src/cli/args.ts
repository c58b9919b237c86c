// Option definitions, parsed and turned into `--help` by commander: one definition per option,
// so the help can never list an option the parser refuses, or miss one it accepts.
import { Command as Commander, CommanderError, Option } from 'commander';
import { UsageError, type CliIO, type Command, type CommandSpec, type OptionDefs, type ParsedArgs } from './command.js';
import { setOutputMode } from './progress.js';

/** On every command. */
export const QUIET_OPTION = { quiet: { short: 'q', description: 'no progress bar and no summary line on standard error' } } as const satisfies OptionDefs;
/** On commands whose output is meant for programs. */
export const JSON_OPTION = {
  json: { description: 'standard error carries JSON objects only: the summary, errors as {"error":{"code","message"}}; no progress bar' },
} as const satisfies OptionDefs;

const NON_NEGATIVE = /^(0|[1-9]\d*)$/;

/** A non-negative integer, or a UsageError naming the option (or argument) and what was given. */
export function parseSequence(name: string, text: string | undefined): number {
  if (text === undefined || !NON_NEGATIVE.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${name}: expected a non-negative integer, got ${text === undefined ? 'nothing' : JSON.stringify(text)}`);
  }
  return Number(text);
}

/** The commander definition of a command: the one source of its parser and of its help. */
export function commanderFor(spec: CommandSpec): Commander {
  const cmd = new Commander(`fmwk-ledger ${spec.name}`)
    .usage(spec.usage)
    .description(spec.description)
    .helpOption('-h, --help', 'this help')
    .argument('[ARGS...]')
    .allowExcessArguments(true)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined, getOutHelpWidth: () => 100, getErrHelpWidth: () => 100 });
  for (const [name, def] of Object.entries(spec.options)) {
    const option = new Option(`${def.short ? `-${def.short}, ` : ''}--${name}${def.value ? ` <${def.value}>` : ''}`, def.description);
    // Checked while parsing, so the message names the option; the value stays the text given.
    if (def.integer) option.argParser((v: string) => (parseSequence(`--${name}`, v), v));
    cmd.addOption(option);
  }
  return cmd;
}

/**
 * Parses a command's arguments against its definitions (commander); errors become one-line
 * UsageErrors naming the option. Records --quiet/--json for `io`'s progress and summary output.
 */
export function parseCommandArgs(args: string[], spec: CommandSpec, io?: CliIO): ParsedArgs {
  const values: Record<string, string> = {};
  const flags: Record<string, boolean> = {};
  const cmd = commanderFor(spec);
  // Recorded as given, under the long names: commander's attributes would camel-case them and
  // merge --no-snapshots into --snapshots.
  for (const [name, def] of Object.entries(spec.options)) {
    cmd.on(`option:${name}`, (v: string | undefined) => (def.value ? (values[name] = v!) : (flags[name] = true)));
  }
  let positionals: string[] = [];
  cmd.action((rest: string[]) => void (positionals = rest));
  try {
    cmd.parse(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) throw new UsageError(e.message.replace(/^error: /, '').replace(/ <([A-Z_.]+)>'/g, " $1'"));
    throw e;
  }
  if (io) setOutputMode(io, { quiet: flags.quiet === true, json: flags.json === true });
  return { values, flags, positionals };
}

/** A command from its spec: --quiet (and --json where asked) added, help generated, run = parse + execute. */
export function defineCommand(spec: CommandSpec): Command {
  const full: CommandSpec = { ...spec, options: { ...spec.options, ...(spec.json ? JSON_OPTION : {}), ...QUIET_OPTION } };
  return {
    ...full,
    get help() {
      return `${commanderFor(full).helpInformation()}\n${full.exit}`;
    },
    run: (args, io) => full.execute(parseCommandArgs(args, full, io), io),
  };
}

/** The value of a required string option, or a UsageError naming it. */
export function requireOption(values: ParsedArgs['values'], name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.length === 0) throw new UsageError(`--${name} is required`);
  return v;
}

/** The options of every command that opens a store; `how` says how it is opened. */
export const storeOptions = (how: string) =>
  ({
    store: { value: 'STORE', description: `a directory or immudb://HOST:PORT/DB (${how})` },
    config: { value: 'FILE', description: 'JSON config file: an "immudb" section (credentials); "types" (as --types, where accepted)' },
  }) as const satisfies OptionDefs;

/** The store options of a command that opens it read-only. */
export const STORE_OPTIONS = storeOptions('opened read-only');

/** openStore options from --config (immudb credentials file); --store is read by the caller. */
export const storeConfig = (values: ParsedArgs['values']): { configFile?: string } =>
  values.config === undefined ? {} : { configFile: values.config };
