// One replay measurement in a fresh process, so its peak RSS is its own. Prints one JSON line.
//   node dist/bench/replayChild.js full <store dir>             replay from genesis to the tip
//   node dist/bench/replayChild.js snap <store dir> <snap dir>  stateAt(tip) from the snapshot in <snap dir>
//   node dist/bench/replayChild.js bare <store dir> <count>     the bare fold over <count> already-parsed events
//   node dist/bench/replayChild.js verify <store dir>           Ledger.verifyChain(): the same reading and checks, no fold
//   node dist/bench/replayChild.js parse <store dir>            the ledger file's lines read as replay reads them, each
//                                                               decoded and JSON.parsed: no verification, no fold
import { DirectoryStore, Ledger, ReplayEngine, SnapshotStore, canonicalJson, sha256, type LedgerEvent } from '../src/index.js';
import { readLineBatches, readLines } from '../src/contract/lineReader.js';
import { join } from 'node:path';
import { benchProjection, type BenchState } from './replayBenchProjection.js';

const [mode, dir, arg] = process.argv.slice(2);

async function replayChild(): Promise<Record<string, unknown>> {
  const ledger = await Ledger.open(await DirectoryStore.open(dir!, { readOnly: true }));
  try {
    const tip = (await ledger.getTip()).sequence_number;
    const warnings: string[] = [];
    const engine = new ReplayEngine(ledger, {
      projections: [benchProjection],
      snapshots: mode === 'snap' ? SnapshotStore.at(arg!) : false,
      logger: { warn: (m) => warnings.push(m) },
    });
    const t0 = process.hrtime.bigint();
    const r = await engine.stateAt(tip);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    return { ms, sequence: r.sequence, digest: sha256(canonicalJson(r.states)), warnings };
  } finally {
    await ledger.close();
  }
}

async function bareChild(): Promise<Record<string, unknown>> {
  const count = Number(arg);
  const events: LedgerEvent[] = [];
  for await (const line of readLines(join(dir!, 'ledger.jsonl'))) {
    events.push(JSON.parse(line) as LedgerEvent);
    if (events.length >= count) break;
  }
  let best = Infinity;
  let state: BenchState = benchProjection.initial;
  for (let round = 0; round < 3; round++) {
    state = benchProjection.initial;
    const t0 = process.hrtime.bigint();
    for (const e of events) state = benchProjection.apply(state, e);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { ms: best, count: events.length, events: state.events };
}

async function verifyChild(): Promise<Record<string, unknown>> {
  const ledger = await Ledger.open(await DirectoryStore.open(dir!, { readOnly: true }));
  try {
    const t0 = process.hrtime.bigint();
    const r = await ledger.verifyChain();
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, count: r.count, valid: r.valid };
  } finally {
    await ledger.close();
  }
}

/**
 * What replay must do per line besides verifying it: replay hands every projection a parsed
 * event, and on its byte path it reads the file as Buffer views in 1 MiB batches (the directory
 * store's scanLineBatches is readLineBatches over the file) and decodes each accepted line with
 * toString('utf8') before JSON.parse. One field is summed so no parse can be optimised away.
 */
async function parseChild(): Promise<Record<string, unknown>> {
  const t0 = process.hrtime.bigint();
  let count = 0;
  let sum = 0;
  for await (const batch of readLineBatches(join(dir!, 'ledger.jsonl'))) {
    for (const bytes of batch) {
      sum += (JSON.parse(bytes.toString('utf8')) as LedgerEvent).sequence;
      count++;
    }
  }
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, count, sum };
}

const children: Record<string, () => Promise<Record<string, unknown>>> = { bare: bareChild, verify: verifyChild, parse: parseChild };
const result = await (children[mode!] ?? replayChild)();
process.stdout.write(`${JSON.stringify({ mode, ...result, maxRssKB: process.resourceUsage().maxRSS })}\n`);
