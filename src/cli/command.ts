import type { Readable, Writable } from 'node:stream';

/** What a command may touch: injected so tests can drive commands in process. */
export interface CliIO {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable & { isTTY?: boolean; columns?: number };
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;

export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** The full `--help` text. */
  readonly help: string;
  /** Runs with the arguments after the command name; resolves with the exit code. */
  run(args: string[], io: CliIO): Promise<number>;
}

/** A usage mistake: printed as one line with a pointer to --help, exit 2. */
export class UsageError extends Error {}
