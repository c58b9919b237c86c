#!/usr/bin/env node
// fmwk-ledger: the command line over the public API.
import { pathToFileURL } from 'node:url';
import { readFileSync, realpathSync } from 'node:fs';
import { isLedgerError } from '../errors/errors.js';
import { EXIT, UsageError, type CliIO, type Command } from './command.js';
import { finishAll, outputMode } from './progress.js';

// Each command's module, imported only when that command runs (or for the full help): a command
// loads what it uses, so `--version` loads no command and `tip` on a directory store loads no
// gRPC (openStore imports the immudb adapter for an immudb:// address only). Static imports of
// commands or stores from this file are refused by npm run lint:deps.
const COMMAND_MODULES = {
  append: async () => (await import('./commands/append.js')).append,
  read: async () => (await import('./commands/read.js')).read,
  query: async () => (await import('./commands/query.js')).query,
  reindex: async () => (await import('./commands/reindex.js')).reindex,
  tip: async () => (await import('./commands/tip.js')).tip,
  export: async () => (await import('./commands/export.js')).exportCommand,
  verify: async () => (await import('./commands/verify.js')).verify,
  follow: async () => (await import('./commands/follow.js')).follow,
  snapshot: async () => (await import('./commands/snapshot.js')).snapshot,
  replay: async () => (await import('./commands/replay.js')).replay,
  bootstrap: async () => (await import('./commands/bootstrap.js')).bootstrap,
  promote: async () => (await import('./commands/promote.js')).promote,
  keygen: async () => (await import('./commands/keygen.js')).keygen,
  checkpoint: async () => (await import('./commands/checkpoint.js')).checkpoint,
  prove: async () => (await import('./commands/prove.js')).prove,
  witness: async () => (await import('./commands/witness.js')).witness,
  serve: async () => (await import('./commands/serve.js')).serve,
} satisfies Record<string, () => Promise<Command>>;

type CommandName = keyof typeof COMMAND_MODULES;

/** The command names, in the help's order. */
export const COMMAND_NAMES = Object.keys(COMMAND_MODULES) as CommandName[];

const isCommandName = (name: string | undefined): name is CommandName => name !== undefined && Object.hasOwn(COMMAND_MODULES, name);

/** Every command, loaded (the full help; tests). */
export function loadCommands(): Promise<Command[]> {
  return Promise.all(COMMAND_NAMES.map((name) => COMMAND_MODULES[name]()));
}

/** The top-level help, listing every command's summary. */
const help = (commands: readonly Command[]): string => `Usage: fmwk-ledger COMMAND [OPTIONS]

An append-only, hash-chained event ledger.

Commands:
${commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}

Options:
  -V, --version  the version of fmwk-ledger
  -h, --help     this help

STORE is a directory (the embedded store: DIR/ledger.jsonl) or immudb://HOST:PORT/DB.
Run 'fmwk-ledger COMMAND --help' for a command's options and exit codes.`;

/** The package's version, from its package.json (dist/src/cli/ is three levels below it). */
export function version(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const c = isCommandName(rest[0]) ? await COMMAND_MODULES[rest[0]]() : undefined;
    io.stdout.write(`${c ? c.help : help(await loadCommands())}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  if (!isCommandName(name)) {
    io.stderr.write(`fmwk-ledger: unknown command ${JSON.stringify(name)} (see fmwk-ledger --help)\n`);
    return EXIT.usage;
  }
  const command = await COMMAND_MODULES[name]();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${command.help}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    finishAll(io);
    if (outputMode(io).json) {
      const code = e instanceof UsageError ? 'USAGE' : isLedgerError(e) ? e.code : 'ERROR';
      io.stderr.write(`${JSON.stringify({ error: { command: name, code, message: (e as Error).message ?? String(e) } })}\n`);
    } else if (e instanceof UsageError) {
      io.stderr.write(`fmwk-ledger ${name}: ${e.message} (see fmwk-ledger ${name} --help)\n`);
    } else if (isLedgerError(e)) {
      io.stderr.write(`fmwk-ledger ${name}: ${e.name}: ${e.message}\n`);
    } else {
      io.stderr.write(`fmwk-ledger ${name}: ${(e as Error).message ?? String(e)}\n`);
    }
    return EXIT.usage;
  } finally {
    finishAll(io);
  }
}

// Run when executed directly (also through the npm bin symlink), not when imported.
// No top-level await: nothing in the package has one, so require() of any module works.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  void main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then((code) => {
    process.exitCode = code;
  });
}
