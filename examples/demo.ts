// The embedded store end to end, as a user would run it: append, read back, verify, export,
// then tamper with one byte of the export and watch cold verification point at it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryStore, Ledger, type SeedAppendInput } from '../src/index.js';
import { verifyFile } from '../src/verify.js';

const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'fmwk-ledger-demo-'));
const keep = process.argv[2] !== undefined;
const say = (s = '') => console.log(s);

const provenance = { framework_id: 'FMWK-005', pack_id: 'PC-005-graph', actor: 'agent' } as const;
const inputs: SeedAppendInput[] = [
  { event_type: 'session_start', schema_version: '1.0.0', provenance: { ...provenance, actor: 'operator' }, payload: { session_id: 'demo-1', purpose: 'demo' } },
  { event_type: 'node_creation', schema_version: '1.0.0', provenance, payload: { node_id: 'n1', node_type: 'concept', label: 'Ledger' } },
  { event_type: 'node_creation', schema_version: '1.0.0', provenance, payload: { node_id: 'n2', node_type: 'concept', label: 'Ünïcödé ✓', parent_id: 'n1' } },
  { event_type: 'signal_delta', schema_version: '1.0.0', provenance, payload: { node_id: 'n1', signal: 'relevance', delta: 3 } },
  { event_type: 'signal_delta', schema_version: '1.0.0', provenance, payload: { node_id: 'n2', signal: 'relevance', delta: '-0.25' } },
  { event_type: 'session_end', schema_version: '1.0.0', provenance: { ...provenance, actor: 'operator' }, payload: { session_id: 'demo-1' } },
];

say(`fmwk-ledger demo: directory store in ${dir}`);
const ledger = await Ledger.open(await DirectoryStore.open(dir));
ledger.events$.subscribe((e) => say(`  appended #${e.sequence} ${e.event_type.padEnd(14)} ${e.hash.slice(0, 23)}... <- ${e.previous_hash.slice(0, 15)}...`));
for (const input of inputs) await ledger.append(input);

say('\nRejected input writes nothing:');
try {
  await ledger.append({ event_type: 'signal_delta', schema_version: '1.0.0', provenance, payload: { node_id: 'n1', signal: 'relevance', delta: 0.5 } });
} catch (e) {
  say(`  ${(e as Error).name}: ${(e as Error).message}`);
}
const tip = await ledger.getTip();
say(`  tip is still #${tip.sequence_number} ${tip.hash}`);

say('\nRead back events 1..2:');
for await (const e of ledger.readRange(1, 2)) say(`  #${e.sequence} ${e.event_type} ${JSON.stringify(e.payload)}`);

say(`\nverifyChain(): ${JSON.stringify(await ledger.verifyChain())}`);
await ledger.close();

const exported = join(dir, 'export.jsonl');
writeFileSync(exported, readFileSync(join(dir, 'ledger.jsonl')));
say(`cold verify of ${exported}: ${JSON.stringify(await verifyFile(exported))}`);

// Tamper: change the signal delta of event 3 from 3 to 4, leaving its stored hash alone.
const lines = readFileSync(exported, 'utf8').split('\n');
lines[3] = lines[3]!.replace('"delta":3', '"delta":4');
writeFileSync(exported, lines.join('\n'));
say('\nTampered with event 3 in the export ("delta":3 -> "delta":4).');
const result = await verifyFile(exported);
say(`cold verify: ${JSON.stringify({ valid: result.valid, break_at: result.break_at, count: result.count })}`);
say(`  reason: ${result.reason}`);
if (keep) say(`\nTry the CLI: npm run -s cli -- verify ${exported}`);

if (!keep) rmSync(dir, { recursive: true, force: true });
process.exitCode = result.valid ? 1 : 0;
