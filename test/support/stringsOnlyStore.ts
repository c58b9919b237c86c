// A store seen without its optional byte scan (scanLineBatches): the ledger and replay then take
// their string paths, so specs can compare the two paths over the very same files.
import type { LedgerStore } from '../../src/index.js';

export function stringsOnly(store: LedgerStore): LedgerStore {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'scanLineBatches') return undefined;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
