// Side-by-side figures on one immudb server: ledger appends vs a raw immudb-node `set` loop
// (same server, same value bytes), and Ledger.readRange vs a loop of single-key gets.
// Called by bench/run.ts; starts a throwaway server unless given an address.

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { canonicalJson, Ledger } from '../src/index.js';
import { paired, type RatioSummary } from './paired.js';
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
  /** Paired rounds (>= 5, default 5). */
  readonly rounds?: number;
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
  const rounds = opts.rounds ?? 5;
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
      const input = (i: number) => ({
        event_type: 'session_start' as const, schema_version: '1.0.0',
        provenance: { framework_id: 'FMWK-001', pack_id: 'PC-001-bench', actor: 'system' as const },
        payload: { session_id: `bench-${i}`, padding },
      });
      // The raw loop writes the very bytes a ledger stores, so value sizes match exactly.
      const prepPrefix = `bench/${randomUUID()}/`;
      const prep = await Ledger.open(await ImmudbStore.open(config(prepPrefix)));
      for (let i = 0; i < WARMUP + events; i++) await prep.append(input(i));
      const lines: string[] = [];
      for await (const e of prep.readRange(WARMUP, WARMUP + events - 1)) lines.push(canonicalJson(e as never));
      await prep.close();
      for (let i = 0; i < WARMUP; i++) await raw.set({ key: `bench-raw/warmup/${i}`, value: lines[i % lines.length]! });

      // ---- appends: Ledger.append (one ExecAll with preconditions) vs immudb-node set, paired
      const appends = await paired(rounds, {
        ledger: async () => {
          const ledger = await Ledger.open(await ImmudbStore.open(config(`bench/${randomUUID()}/`)));
          try {
            for (let i = 0; i < WARMUP; i++) await ledger.append(input(i));
            return perSecond(events, await timed(async () => {
              for (let i = WARMUP; i < WARMUP + events; i++) await ledger.append(input(i));
            }));
          } finally {
            await ledger.close();
          }
        },
        raw: async () => {
          const layout = new KeyLayout(`bench-raw/${randomUUID()}/`);
          return perSecond(events, await timed(async () => {
            for (let i = 0; i < events; i++) await raw.set({ key: layout.keyOf(i).toString('utf8'), value: lines[i]! });
          }));
        },
      }, (l) => log(`immudb append ${l}`));

      // ---- reads: Ledger.readRange (Scan pages) vs immudb-node get per key, paired
      const reader = await Ledger.open(await ImmudbStore.open(config(prepPrefix)));
      const prepLayout = new KeyLayout(prepPrefix);
      const reads = await paired(rounds, {
        ledger: async () => perSecond(events, await timed(async () => {
          let n = 0;
          for await (const _ of reader.readRange(WARMUP, WARMUP + events - 1)) n++;
          if (n !== events) throw new Error(`readRange returned ${n} events, expected ${events}`);
        })),
        raw: async () => perSecond(events, await timed(async () => {
          for (let i = WARMUP; i < WARMUP + events; i++) await getValue(raw, prepLayout.keyOf(i).toString('utf8'));
        })),
      }, (l) => log(`immudb read ${l}`));
      await reader.close();

      const appendRatio = appends.ratio('ledger', 'raw');
      const readRatio = reads.ratio('ledger', 'raw');
      return {
        server: opts.address ?? 'throwaway immudb 1.11.1 (--synced=true) on 127.0.0.1',
        events,
        rounds,
        value_bytes_avg: Math.round(lines.reduce((n, l) => n + Buffer.byteLength(l), 0) / lines.length),
        ledger_append_per_s: appends.summary('ledger').median,
        raw_immudb_node_set_per_s: appends.summary('raw').median,
        append_ratio: appendRatio,
        ledger_read_range_events_per_s: reads.summary('ledger').median,
        raw_single_get_events_per_s: reads.summary('raw').median,
        read_ratio: readRatio,
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
