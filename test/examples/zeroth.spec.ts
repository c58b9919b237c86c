// The Zeroth example (seed 002) through the public API: a deterministic VM whose records are
// signed; its state after every iteration from replay; forged, re-signed and replayed records
// caught, including under a chain the files' owner re-hashed.
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryStore, Ledger, generateKey, parseSignerKey, signEvent, verifySignedEvents, type LedgerEvent } from '../../src/index.js';
import { ZerothReplayError, ZerothVm, replayZeroth, zerothRegistry, type VmState } from '../../examples/zeroth/index.js';
import { forge } from '../support/tamper.js';
import { tempDir } from '../support/tempDir.js';

const SEED = 7;
const vmKey = generateKey('zeroth.example/vm');
const intruder = generateKey('zeroth.example/vm');

/** Rewrites line `at`'s payload and re-hashes every later line, as the owner of the files could. */
function rewrite(file: string, at: number, payload: (p: Record<string, unknown>) => Record<string, unknown>): void {
  const lines = readFileSync(file, 'utf8').split('\n').slice(0, -1);
  let prev = at > 0 ? (JSON.parse(lines[at - 1]!) as { hash: string }).hash : undefined;
  for (let i = at; i < lines.length; i++) {
    const p = (JSON.parse(lines[i]!) as { payload: Record<string, unknown> }).payload;
    const f = forge(lines[i]!, i === at ? payload(p) : p, prev);
    lines[i] = f.line;
    prev = f.hash;
  }
  writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
}

async function replayAt(dir: string): Promise<VmState[] | ZerothReplayError> {
  const ledger = await Ledger.open(await DirectoryStore.open(dir, { readOnly: true }), { registry: zerothRegistry() });
  try {
    expect((await ledger.verifyChain()).valid).to.equal(true); // the chain alone sees nothing wrong
    return await replayZeroth(ledger, [vmKey.verifierKey], SEED).catch((e: unknown) => e as ZerothReplayError);
  } finally {
    await ledger.close();
  }
}

describe('examples/zeroth: a signed, deterministic VM replayed from the ledger', function () {
  let tmp: { dir: string; remove: () => void };
  let live: VmState[];
  const dir = () => join(tmp.dir, 'vm');
  beforeEach(async function () {
    tmp = tempDir('fmwk-ledger-zeroth-');
    const vm = await ZerothVm.open(await DirectoryStore.open(dir()), vmKey.signerKey, SEED);
    live = await vm.run(12);
    await vm.close();
  });
  afterEach(() => tmp.remove());

  it('replay gives the state after every iteration; a reopened VM continues; a second run is identical', async function () {
    expect(await replayAt(dir())).to.deep.equal(live);
    expect(live.map((s) => s.iteration)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(live[4]).to.include({ iteration: 5 }); // a COLLAPSE fixed the dominant state and price
    const vm = await ZerothVm.open(await DirectoryStore.open(dir()), vmKey.signerKey, SEED);
    expect(vm.state).to.deep.equal(live[11]);
    const more = await vm.run(3);
    await vm.close();
    expect(more.map((s) => s.iteration)).to.deep.equal([13, 14, 15]);
    // Determinism: another run from scratch writes the same records (Ed25519 signatures too).
    const other = await ZerothVm.open(await DirectoryStore.open(join(tmp.dir, 'again')), vmKey.signerKey, SEED);
    await other.run(15);
    await other.close();
    const payloads = (d: string) => readFileSync(join(d, 'ledger.jsonl'), 'utf8').split('\n').slice(0, -1).map((l) => (JSON.parse(l) as LedgerEvent).payload);
    expect(payloads(join(tmp.dir, 'again'))).to.deep.equal(payloads(dir()));
    expect(await verifySignedEvents(join(dir(), 'ledger.jsonl'), [vmKey.verifierKey])).to.deep.equal({ valid: true, break_at: null, count: 15 });
  });

  it('a forged record under a re-hashed chain is caught at its sequence', async function () {
    rewrite(join(dir(), 'ledger.jsonl'), 7, (p) => ({ ...p, observed: p.observed === 'HELLO' ? 'WORLD' : 'HELLO' }));
    const r = await replayAt(dir());
    expect(r).to.be.instanceOf(ZerothReplayError);
    expect(r).to.include({ sequence: 7, iteration: 8 });
    expect((r as Error).message).to.match(/does not match the event's content/);
    expect(await verifySignedEvents(join(dir(), 'ledger.jsonl'), [vmKey.verifierKey])).to.include({ valid: false, break_at: 7 });
  });

  it('a record re-signed with another key is caught, even when its content is what the VM computes', async function () {
    const other = parseSignerKey(intruder.signerKey);
    rewrite(join(dir(), 'ledger.jsonl'), 3, ({ _signature, ...p }) => signEvent({ event_type: 'zeroth_observe', schema_version: '1.0.0', provenance: { framework_id: 'FMWK-000', pack_id: 'PC-000-zeroth', actor: 'agent' }, payload: p }, other).payload);
    const r = await replayAt(dir());
    expect(r).to.be.instanceOf(ZerothReplayError);
    expect(r).to.include({ sequence: 3 });
    expect((r as Error).message).to.match(/not a trusted key/);
  });

  it('a validly signed record appended again (replayed) is caught by its iteration', async function () {
    const ledger: Ledger<any> = await Ledger.open(await DirectoryStore.open(dir()), { registry: zerothRegistry() });
    try {
      const copy = await ledger.read(2);
      await ledger.append({ event_type: copy.event_type, schema_version: copy.schema_version, provenance: copy.provenance, payload: copy.payload });
    } finally {
      await ledger.close();
    }
    expect(await verifySignedEvents(join(dir(), 'ledger.jsonl'), [vmKey.verifierKey])).to.include({ valid: true }); // the signature is genuine
    const r = await replayAt(dir());
    expect(r).to.be.instanceOf(ZerothReplayError);
    expect(r).to.include({ sequence: 12, iteration: 3 });
    expect((r as Error).message).to.match(/expected iteration 13/);
  });
});
