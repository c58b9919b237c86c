// Helpers shared by the proof commands (keygen, checkpoint, prove, witness).
import { open } from 'node:fs/promises';
import { isLedgerError, LedgerProofError } from '../../errors/errors.js';
import { directoryCheckpointKeeper, openDirectoryMerkleLog, type CheckpointKeeper } from '../../stores/merkleLog.js';
import { openStore } from '../../stores/openStore.js';
import { isImmudbAddress } from '../../stores/immudb/immudbConfig.js';
import { readSideFile } from '../../stores/sideFile.js';
import type { LedgerStore, MerkleLog } from '../../ledger/ledgerStore.js';
import { EXIT, UsageError, type CliIO } from '../command.js';

/**
 * Opens a store read-only (a directory, or immudb://HOST:PORT/DB with credentials from the
 * environment or $FMWK_LEDGER_CONFIG) with its Merkle log caught up, and where its latest
 * checkpoint is kept (DIR/merkle/checkpoint; immudb: the key merkle/<prefix>checkpoint).
 */
export async function withMerkleLog<T>(storeArg: string, f: (log: MerkleLog, store: LedgerStore, keeper: CheckpointKeeper) => Promise<T>, io: CliIO, options: { rebuild?: boolean } = {}): Promise<T> {
  const store = await openStore(storeArg, { readOnly: true });
  try {
    if (!store.openMerkleLog) throw new UsageError(`${store.description} keeps no Merkle tree`);
    const keeper = isImmudbAddress(storeArg) ? (store as LedgerStore & { checkpointKeeper(): CheckpointKeeper }).checkpointKeeper() : directoryCheckpointKeeper(storeArg);
    const onRebuild = (why: string): void => void io.stderr.write(`fmwk-ledger: rebuilding the Merkle hashes from the ledger: ${why}\n`);
    const log = isImmudbAddress(storeArg) ? await store.openMerkleLog({ onRebuild, rebuild: options.rebuild === true }) : await openDirectoryMerkleLog(storeArg, store, { onRebuild, rebuild: options.rebuild === true });
    try {
      return await f(log, store, keeper);
    } finally {
      await log.close();
    }
  } finally {
    await store.close();
  }
}

/**
 * Reads a signer key file (named by `option`), refusing one that others can read (it must be
 * mode 0600 or stricter), judged on the descriptor that was read.
 */
export async function readSignerKeyFile(path: string, option = '--key'): Promise<string> {
  const { text, stats } = await readSideFile(option, path, 'key');
  if ((stats.mode & 0o077) !== 0) {
    throw new UsageError(`key file ${path} is readable by others (mode ${(stats.mode & 0o777).toString(8)}); chmod 600 it`);
  }
  return text.trim();
}

/** A verifier key given literally (`name+id+base64`) or as a file holding it (named by `option`). */
export async function readVerifierKey(arg: string, option = '--key'): Promise<string> {
  if (/^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/.test(arg)) return arg;
  return (await readSideFile(option, arg, 'key')).text.trim();
}

/**
 * A file of keys, one a line (blank lines and # comments skipped), each parsed by `parse`; a bad
 * line is a UsageError naming the option, the file and the line. At least one key.
 */
export async function readKeyList<K>(option: string, path: string, parse: (line: string) => K): Promise<K[]> {
  const { text } = await readSideFile(option, path, 'signers');
  const keys: K[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    try {
      keys.push(parse(line));
    } catch (e) {
      throw new UsageError(`${option}: ${path} line ${i + 1}: ${(e as Error).message}`);
    }
  }
  if (keys.length === 0) throw new UsageError(`${option}: ${path} holds no verifier key`);
  return keys;
}

/** Writes a new file exclusively with mode 0600 (never overwrites a key). */
export async function writeSecretFile(path: string, text: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${path} already exists; not overwriting a key`);
    throw e;
  }
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** A proof failure (bad signature, split view, inconsistent data) is "invalid" (exit 1), not a usage error. */
export async function proofFailuresInvalid(name: string, io: CliIO, f: () => Promise<number>): Promise<number> {
  try {
    return await f();
  } catch (e) {
    if (isLedgerError(e, 'LEDGER_PROOF') && ['bad_signature', 'unverified', 'inconsistent', 'split_view', 'quorum', 'bad_proof'].includes((e as LedgerProofError).kind)) {
      io.stderr.write(`fmwk-ledger ${name}: ${(e as Error).name}: ${(e as Error).message}\n`);
      return EXIT.invalid;
    }
    throw e;
  }
}

export const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
