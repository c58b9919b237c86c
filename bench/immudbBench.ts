// Side-by-side figures on one immudb server: ledger appends vs a raw immudb-node `set` loop
// (same server, same value bytes), and Ledger.readRange vs a loop of single-key gets.
// Called by bench/run.ts; starts a throwaway server unless given an address.

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Ledger } from '../src/index.js';
import { bootstrapImmudb } from '../src/stores/immudb/bootstrapImmudb.js';
import { resolveImmudbConfig, type ImmudbConfig } from '../src/stores/immudb/immudbConfig.js';
import { ImmudbStore } from '../src/stores/immudb/immudbStore.js';
import { KeyLayout } from '../src/stores/immudb/keyLayout.js';
import { ImmudbTestServer } from '../test/support/immudbServer.js';
import { closeRawImmudbNodeClient, openRawImmudbNodeClient, type RawImmudbNodeClient } from '../test/support/rawImmudbNodeClient.js';

export interface ImmudbBenchOptions {
  /** Appends (and reads) per side; default 1000. */
  readonly events?: number;
  /** Approximate payload padding in bytes, so values have a realistic size; default 256. */
  readonly payloadBytes?: number;
  /** `immudb://HOST:PORT/DB` of an existing server (credentials from IMMUDB_USER/IMMUDB_PASSWORD); default: a throwaway server. */
  readonly address?: string;
  readonly log?: (line: string) => void;
}

const WARMUP = 50;

const perSecond = (count: number, ms: number) => Math.round((count / ms) * 1000);

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

export async function immudbBench(opts: ImmudbBenchOptions = {}): Promise<Record<string, unknown>> {
  const events = opts.events ?? 1000;
  const padding = 'x'.repeat(opts.payloadBytes ?? 256);
  const log = opts.log ?? (() => undefined);
  const server = opts.address === undefined ? new ImmudbTestServer() : undefined;
  await server?.start();
  try {
    const base = resolveImmudbConfig({
      ...(opts.address === undefined ? { env: server!.env('bench') } : { address: opts.address }),
    });
    await bootstrapImmudb(base);
    const config = (keyPrefix: string): ImmudbConfig => ({ ...base, keyPrefix });
    const raw = await openRawImmudbNodeClient({
      host: base.host, port: base.port, user: base.user, password: base.password.reveal(), database: base.database,
    });
    try {
      // ---- appends: Ledger.append (one ExecAll with preconditions) vs immudb-node set
      const ledgerPrefix = `bench/${randomUUID()}/`;
      const ledger = await Ledger.open(await ImmudbStore.open(config(ledgerPrefix)));
      const input = (i: number) => ({
        event_type: 'session_start', schema_version: '1.0.0',
        provenance: { framework_id: 'FMWK-001', pack_id: 'PC-001-bench', actor: 'system' as const },
        payload: { session_id: `bench-${i}`, padding },
      });
      for (let i = 0; i < WARMUP; i++) await ledger.append(input(i));
      const ledgerMs = await timed(async () => {
        for (let i = WARMUP; i < WARMUP + events; i++) await ledger.append(input(i));
      });
      log(`immudb: ${events} ledger appends in ${ledgerMs.toFixed(0)} ms`);

      // The raw loop writes the very bytes the ledger stored, so value sizes match exactly.
      const lines: string[] = [];
      for await (const { line } of ledger.store.scanLines(WARMUP, WARMUP + events - 1)) lines.push(line);
      const rawLayout = new KeyLayout(`bench-raw/${randomUUID()}/`);
      const rawKey = (i: number) => rawLayout.keyOf(i).toString('utf8');
      for (let i = 0; i < WARMUP; i++) await raw.set({ key: `${rawKey(i)}-warmup`, value: lines[i % lines.length]! });
      const rawSetMs = await timed(async () => {
        for (let i = 0; i < events; i++) await raw.set({ key: rawKey(i), value: lines[i]! });
      });
      log(`immudb: ${events} immudb-node set calls in ${rawSetMs.toFixed(0)} ms`);

      // ---- reads: Ledger.readRange (Scan pages) vs immudb-node get per key
      const readRangeMs = await timed(async () => {
        let n = 0;
        for await (const _ of ledger.readRange(WARMUP, WARMUP + events - 1)) n++;
        if (n !== events) throw new Error(`readRange returned ${n} events, expected ${events}`);
      });
      const ledgerLayout = new KeyLayout(ledgerPrefix);
      const singleGetsMs = await timed(async () => {
        for (let i = WARMUP; i < WARMUP + events; i++) await getValue(raw, ledgerLayout.keyOf(i).toString('utf8'));
      });
      log(`immudb: readRange ${readRangeMs.toFixed(0)} ms, ${events} single gets ${singleGetsMs.toFixed(0)} ms`);
      await ledger.close();

      const appendPerSec = perSecond(events, ledgerMs);
      const rawSetPerSec = perSecond(events, rawSetMs);
      const readRangePerSec = perSecond(events, readRangeMs);
      const singleGetPerSec = perSecond(events, singleGetsMs);
      return {
        server: opts.address ?? 'throwaway immudb 1.11.1 (--synced=true) on 127.0.0.1',
        events,
        value_bytes_avg: Math.round(lines.reduce((n, l) => n + Buffer.byteLength(l), 0) / lines.length),
        ledger_append_per_s: appendPerSec,
        raw_immudb_node_set_per_s: rawSetPerSec,
        append_ratio: Number((appendPerSec / rawSetPerSec).toFixed(2)),
        ledger_read_range_events_per_s: readRangePerSec,
        raw_single_get_events_per_s: singleGetPerSec,
        read_ratio: Number((readRangePerSec / singleGetPerSec).toFixed(2)),
      };
    } finally {
      closeRawImmudbNodeClient(raw);
    }
  } finally {
    await server?.dispose();
  }
}

async function getValue(client: RawImmudbNodeClient, key: string): Promise<string> {
  const entry = await client.get({ key });
  if (entry === undefined) throw new Error(`immudb-node get ${key}: no entry`);
  return entry.value;
}
