import type { Readable, Writable } from 'node:stream';

/** What a command may touch: injected so tests can drive commands in process. */
export interface CliIO {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable & { isTTY?: boolean; columns?: number };
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;

export interface OptionDef {
  /** The value's name in the help (`--store STORE`); an option without one is a flag. */
  readonly value?: string;
  /** The value must be a non-negative integer (checked while parsing; `-1` is taken as a value and refused by name). */
  readonly integer?: boolean;
  readonly short?: string;
  readonly description: string;
}

export type OptionDefs = Readonly<Record<string, OptionDef>>;

/** Option values as given and flags, under their long names; and the arguments. */
export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | undefined>>;
  readonly flags: Readonly<Record<string, boolean | undefined>>;
  readonly positionals: string[];
}

/** A command as written: its definitions (parser and help alike) and what it does. */
export interface CommandSpec {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The usage line(s) after `fmwk-ledger NAME`. */
  readonly usage: string;
  /** The help's prose, between the usage and the generated option list. */
  readonly description: string;
  readonly options: OptionDefs;
  /** Accepts --json (its output is meant for programs). */
  readonly json?: boolean;
  /** The help's `Exit:` paragraph. */
  readonly exit: string;
  execute(args: ParsedArgs, io: CliIO): Promise<number>;
}

export interface Command extends CommandSpec {
  /** The full `--help` text, generated from the definitions. */
  readonly help: string;
  /** Parses the arguments after the command name, runs; resolves with the exit code. */
  run(args: string[], io: CliIO): Promise<number>;
}

/** A usage mistake: printed as one line with a pointer to --help, exit 2. */
export class UsageError extends Error {}
