#!/usr/bin/env node
// fmwk-ledger: the command line over the public API.
import { pathToFileURL } from 'node:url';
import { readFileSync, realpathSync } from 'node:fs';
import { isLedgerError } from '../errors/errors.js';
import { EXIT, UsageError, type CliIO, type Command } from './command.js';
import { append } from './commands/append.js';
import { bootstrap } from './commands/bootstrap.js';
import { exportCommand } from './commands/export.js';
import { follow } from './commands/follow.js';
import { read } from './commands/read.js';
import { query } from './commands/query.js';
import { reindex } from './commands/reindex.js';
import { replay } from './commands/replay.js';
import { snapshot } from './commands/snapshot.js';
import { tip } from './commands/tip.js';
import { verify } from './commands/verify.js';
import { keygen } from './commands/keygen.js';
import { checkpoint } from './commands/checkpoint.js';
import { prove } from './commands/prove.js';
import { promote } from './commands/promote.js';
import { witness } from './commands/witness.js';
import { serve } from './commands/serve.js';
import { finishAll, outputMode } from './progress.js';

export const COMMANDS: readonly Command[] = [append, read, query, reindex, tip, exportCommand, verify, follow, snapshot, replay, bootstrap, promote, keygen, checkpoint, prove, witness, serve];

const HELP = `Usage: fmwk-ledger COMMAND [OPTIONS]

An append-only, hash-chained event ledger.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}

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
    const c = COMMANDS.find((x) => x.name === rest[0]);
    io.stdout.write(`${c ? c.help : HELP}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`fmwk-ledger: unknown command ${JSON.stringify(name)} (see fmwk-ledger --help)\n`);
    return EXIT.usage;
  }
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
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const code = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
  process.exitCode = code;
}
