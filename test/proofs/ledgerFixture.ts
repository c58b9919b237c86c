// A real directory-store ledger for the proof specs.
import { readFileSync } from 'node:fs';
import { DirectoryStore, Ledger } from '../../src/index.js';
import { provenance, sessionStart } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';
import { forge } from '../support/tamper.js';

export interface LedgerFixture {
  readonly dir: string;
  readonly file: string;
  /** Canonical lines, without newlines. */
  lines(): string[];
  append(n: number): Promise<void>;
  remove(): void;
}

/** A directory store with `n` events (mixed types, non-ASCII included). */
export async function ledgerWith(n: number): Promise<LedgerFixture> {
  const { dir, remove } = tempDir('fmwk-ledger-proofs-');
  const store = await DirectoryStore.open(dir);
  const file = store.file;
  await store.close();
  let count = 0;
  const fx: LedgerFixture = {
    dir,
    file,
    lines: () => readFileSync(file, 'utf8').split('\n').slice(0, -1),
    async append(k) {
      const ledger = await Ledger.open(await DirectoryStore.open(dir));
      try {
        for (let i = 0; i < k; i++, count++) {
          await ledger.append(count % 3 === 2
            ? { event_type: 'node_creation', schema_version: '1.0.0', provenance, payload: { node_id: `n-${count}`, node_type: 'concept', label: `nœud ${count} \u{1F600}` } }
            : sessionStart(`sess-${count}`));
        }
      } finally {
        await ledger.close();
      }
    },
    remove,
  };
  await fx.append(n);
  return fx;
}

/** Rewrites history from line `from` on: new payload there, every later hash and link recomputed. */
export function rehashFrom(lines: readonly string[], from: number): string[] {
  const out = lines.slice(0, from);
  let prev: string | undefined = from > 0 ? (JSON.parse(lines[from - 1]!) as { hash: string }).hash : undefined;
  for (let i = from; i < lines.length; i++) {
    const e = JSON.parse(lines[i]!) as { payload: Record<string, unknown> };
    const f = forge(lines[i]!, i === from ? { ...e.payload, forged: true } : e.payload, prev);
    out.push(f.line);
    prev = f.hash;
  }
  return out;
}
