// The Zeroth consumer: a VM that signs every record it appends (seed 002's Phase 8 signatures,
// as signed events), and a replay that trusts nothing but the producer's public key: every
// record must carry a valid signature, come in iteration order, and be exactly what the VM
// computes from the state before it. Written against the public API only.
import {
  EventTypeRegistry, Ledger, eventSignatureProblem, parseSignerKey, parseVerifierKey, signEvent, verifierKeyOf,
  type AppendInput, type LedgerEvent, type LedgerStore, type NoteSigner, type NoteVerifier, type Provenance,
} from '../../src/index.js';
import { CollapsePayload, INITIAL_STATE, ObservePayload, apply, step, type VmRecord, type VmState } from './vm.js';

export const ZEROTH_PROVENANCE: Provenance = { framework_id: 'FMWK-000', pack_id: 'PC-000-zeroth', actor: 'agent' };
export const ZEROTH_TYPES = ['zeroth_observe', 'zeroth_collapse'] as const;

/** The registry a Zeroth ledger needs: the seed's types and the VM's two record types. */
export const zerothRegistry = () =>
  EventTypeRegistry.withSeedTypes().register('zeroth_observe', ObservePayload).register('zeroth_collapse', CollapsePayload);

/** A record replay refuses: `sequence` and `iteration` name it. */
export class ZerothReplayError extends Error {
  constructor(readonly sequence: number, readonly iteration: number, reason: string) {
    super(`sequence ${sequence} (iteration ${iteration}): ${reason}`);
    this.name = 'ZerothReplayError';
  }
}

/** The VM, running on a ledger and signing each record with its key. */
export class ZerothVm {
  private constructor(private readonly ledger: Ledger, private readonly signer: NoteSigner, private readonly seed: number, private current: VmState) {}

  /** Opens the VM on `store`, its state replayed (and checked) from the records already there. */
  static async open(store: LedgerStore, signerKey: string, seed: number): Promise<ZerothVm> {
    const signer = parseSignerKey(signerKey);
    const ledger = await Ledger.open(store, { registry: zerothRegistry() });
    try {
      // The VM checks its own history on open, with its public key (derived from the signer key).
      const states = await replayZeroth(ledger, [verifierKeyOf(signerKey)], seed);
      return new ZerothVm(ledger, signer, seed, states[states.length - 1] ?? INITIAL_STATE);
    } catch (e) {
      await ledger.close();
      throw e;
    }
  }

  get state(): VmState {
    return this.current;
  }

  /** Runs `n` iterations: each computes, signs and appends one record; returns the states after each. */
  async run(n: number): Promise<VmState[]> {
    const out: VmState[] = [];
    for (let i = 0; i < n; i++) {
      const record = step(this.current, this.seed);
      const input: AppendInput<object> = { event_type: record.event_type, schema_version: '1.0.0', provenance: ZEROTH_PROVENANCE, payload: record.payload };
      await this.ledger.append(signEvent(input, this.signer));
      out.push((this.current = apply(this.current, record)));
    }
    return out;
  }

  close(): Promise<void> {
    return this.ledger.close();
  }
}

/**
 * The VM's state after every iteration, from the ledger alone (index i = after iteration i + 1).
 * Each Zeroth record must be signed by one of `trusted`, carry the next iteration, and equal
 * what the VM computes from the state before it; otherwise ZerothReplayError names it. Other
 * events are not the VM's and are skipped. The chain itself is checked by ledger.verifyChain().
 */
export async function replayZeroth(ledger: Ledger, trusted: readonly (string | NoteVerifier)[], seed: number): Promise<VmState[]> {
  const keys = trusted.map((k) => (typeof k === 'string' ? parseVerifierKey(k) : k));
  const states: VmState[] = [];
  let state = INITIAL_STATE;
  for await (const event of ledger.readSince(-1)) {
    if (!(ZEROTH_TYPES as readonly string[]).includes(event.event_type)) continue;
    const iteration = Number((event.payload as { iteration?: unknown }).iteration);
    const fail = (why: string) => new ZerothReplayError(event.sequence, iteration, why);
    const bad = eventSignatureProblem(event, keys);
    if (bad !== undefined) throw fail(bad);
    if (iteration !== state.iteration + 1) throw fail(`expected iteration ${state.iteration + 1} (a record replayed, dropped or reordered)`);
    const expected = step(state, seed);
    if (!sameRecord(event, expected)) throw fail(`the record is not what the VM computes from iteration ${state.iteration}`);
    states.push((state = apply(state, expected)));
  }
  return states;
}

function sameRecord(event: LedgerEvent, expected: VmRecord): boolean {
  const { _signature, ...payload } = event.payload as Record<string, unknown>;
  return event.event_type === expected.event_type && JSON.stringify(sortKeys(payload)) === JSON.stringify(sortKeys(expected.payload));
}

const sortKeys = (v: unknown): unknown =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]))
    : v;
