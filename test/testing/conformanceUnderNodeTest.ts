// Run by `node --test` in a child process (conformance.spec.ts): a store author's test file,
// importing the suite from the package's own entry point (`fmwk-ledger/testing`) and running
// it with node:test instead of mocha. argv[2] picks the store: a correct one, or one with a
// planted fault that the suite must catch.
import { describe, it } from 'node:test';
import { LedgerSequenceError, MemoryStore, type AppendRecord, type LedgerIndex, type StoredLine } from 'fmwk-ledger';
import { ledgerStoreConformance } from 'fmwk-ledger/testing';

/** Accepts an append whatever the tip: two writers would fork the chain. */
class ForkingStore extends MemoryStore {
  override async append(records: readonly AppendRecord[]): Promise<void> {
    try {
      await super.append(records);
    } catch (e) {
      if (!(e instanceof LedgerSequenceError)) throw e; // swallowed: the fault under test
    }
  }
}

/** Loses the last line of every range it streams. */
class LossyStore extends MemoryStore {
  override async *scanLines(from: number, to?: number): AsyncIterable<StoredLine> {
    const lines: StoredLine[] = [];
    for await (const l of super.scanLines(from, to)) lines.push(l);
    yield* lines.slice(0, -1);
  }
}

/** An index that names the first event for every hash it is asked about (issue 13: indexes are never trusted). */
class LyingIndexStore extends MemoryStore {
  private readonly lying: LedgerIndex = Object.assign(Object.create(super.index) as LedgerIndex, {
    byHash: async (hash: string) => ((await super.index.byHash(hash)) ? { sequence: 0, hash } : undefined),
  });
  override get index(): LedgerIndex {
    return this.lying;
  }
}

/** A persistent store whose reopen shares the same lines (a second writer on the same data). */
function shared(make: () => MemoryStore): () => Promise<{ store: MemoryStore; reopen: () => Promise<MemoryStore>; cleanup: () => Promise<void> }> {
  return async () => {
    const store = make();
    return { store, reopen: async () => store, cleanup: async () => {} };
  };
}

const kind = process.argv[2];
if (kind === 'memory') ledgerStoreConformance('MemoryStore under node:test', async () => ({ store: new MemoryStore(), cleanup: async () => {} }), { describe, it, persistent: false });
else if (kind === 'forking') ledgerStoreConformance('ForkingStore', shared(() => new ForkingStore()), { describe, it });
else if (kind === 'lossy') ledgerStoreConformance('LossyStore', async () => ({ store: new LossyStore(), cleanup: async () => {} }), { describe, it, persistent: false });
else if (kind === 'lying') ledgerStoreConformance('LyingIndexStore', async () => ({ store: new LyingIndexStore(), cleanup: async () => {} }), { describe, it, persistent: false });
else if (kind === 'shared') ledgerStoreConformance('MemoryStore shared by two ledgers', shared(() => new MemoryStore()), { describe, it });
else throw new Error(`unknown store kind ${kind}`);
