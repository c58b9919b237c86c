// The WorldLine decider, pure: decide refuses what L4 forbids before anything is written, and
// evolve folds only what decide could have produced.
import { expect } from 'chai';
import { canonicalJson, sha256, type LedgerEvent } from '../../src/index.js';
import { WorldLineError, decide, evolve, initialState, streamOf, type ReceiptInput, type WorldLineState } from '../../examples/worldline/index.js';

const policy = { policy_id: 'pol-deploy', version: '3' };

/** A receipt as the ledger would store it (hash over its content; the chain is not the point here). */
function stored(input: ReceiptInput, sequence: number, stream_version: number, worldline = 'w1'): LedgerEvent<unknown> {
  const body = {
    event_id: `00000000-0000-7000-8000-${String(sequence).padStart(12, '0')}`, event_type: input.event_type, schema_version: '1.0.0',
    timestamp: '2026-01-01T00:00:00.000Z', provenance: input.provenance, previous_hash: `sha256:${'0'.repeat(64)}`,
    payload: input.payload, sequence, stream_id: streamOf(worldline), stream_version,
  };
  return { ...body, hash: sha256(canonicalJson(body)) } as unknown as LedgerEvent<unknown>;
}

const commit = (decision: 'accepted' | 'rejected' = 'accepted', worldline_id = 'w1') =>
  ({ kind: 'commit', worldline_id, intent: 'deploy v2', policy, operator_version: 'op-1', decision, grants: ['deploy:prod'] }) as const;

function fold(events: LedgerEvent<unknown>[]): WorldLineState {
  return events.reduce(evolve, initialState());
}

describe('examples/worldline decider (pure)', () => {
  it('a commitment links to the head; an outcome of an open accepted commitment changes canonical state and capabilities', () => {
    const c = stored(decide(commit(), initialState()), 0, 0);
    expect((c.payload as { prev_receipt_hash: unknown }).prev_receipt_hash).to.equal(null);
    const s1 = fold([c]);
    const o = stored(decide({ kind: 'outcome', worldline_id: 'w1', commitment_hash: c.hash, effects: { version: 'v2' } }, s1, { referenced: c }), 1, 1);
    expect((o.payload as { prev_receipt_hash: unknown }).prev_receipt_hash).to.equal(c.hash);
    const s2 = fold([c, o]);
    expect(s2.canonical).to.deep.equal({ version: 'v2' });
    expect(s2.capabilities).to.deep.equal(['deploy:prod']);
    expect(s2.version).to.equal(1);
  });

  const refused = (fn: () => unknown, code: string) => {
    expect(fn).to.throw(WorldLineError).with.property('code', code);
  };

  it('L4: refuses an outcome naming no receipt, a non-commitment, another worldline, a resolved or a rejected commitment', () => {
    const c = stored(decide(commit(), initialState()), 0, 0);
    const s = fold([c]);
    const outcome = (hash: string) => ({ kind: 'outcome', worldline_id: 'w1', commitment_hash: hash, effects: {} }) as const;
    refused(() => decide(outcome(`sha256:${'a'.repeat(64)}`), s, { referenced: undefined }), 'WL_OUTCOME_UNATTRIBUTED');
    const o = stored(decide(outcome(c.hash), s, { referenced: c }), 1, 1);
    refused(() => decide(outcome(o.hash), fold([c, o]), { referenced: o }), 'WL_NOT_A_COMMITMENT');
    refused(() => decide(outcome(c.hash), fold([c, o]), { referenced: c }), 'WL_COMMITMENT_RESOLVED');
    const other = stored(decide(commit('accepted', 'w2'), initialState()), 2, 0, 'w2');
    refused(() => decide(outcome(other.hash), s, { referenced: other }), 'WL_OTHER_WORLDLINE');
    const r = stored(decide(commit('rejected'), s), 1, 1);
    refused(() => decide(outcome(r.hash), fold([c, r]), { referenced: r }), 'WL_COMMITMENT_REJECTED');
    // a rejected commitment takes a rejection outcome, which changes no state
    const rej = stored(decide({ kind: 'rejection', worldline_id: 'w1', commitment_hash: r.hash, reason: 'policy denied' }, fold([c, r]), { referenced: r }), 2, 2);
    expect(fold([c, r, rej]).canonical).to.deep.equal({});
  });

  it('evolve refuses an outcome that bypassed decide (written by another tool): no silent state change', () => {
    const c = stored(decide(commit('rejected'), initialState()), 0, 0);
    const forged = stored({ event_type: 'wl_outcome', schema_version: '1.0.0', provenance: c.provenance, payload: { worldline_id: 'w1', prev_receipt_hash: c.hash, commitment_hash: c.hash, effects: { x: 1 }, proofs: [] } }, 1, 1);
    expect(() => fold([c, forged])).to.throw(WorldLineError).with.property('code', 'WL_OUTCOME_UNATTRIBUTED');
  });

  it('a snapshot needs a receipt to anchor to', () => {
    refused(() => decide({ kind: 'snapshot', worldline_id: 'w1', state_hash: `sha256:${'b'.repeat(64)}` }, initialState()), 'WL_NO_WORLDLINE');
  });
});
