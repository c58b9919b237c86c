// The event codecs at the decode boundary: io-ts brands, decoded as fp-ts Either values whose
// Left is a LedgerValidationError naming the path, the expectation and the value.
import { expect } from 'chai';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import {
  EventType, HashString, LedgerEventCodec, NonEmptyString, SchemaVersion, Sequence, Timestamp, Uuid,
} from '../../src/contract/event.js';
import { DecimalString, SignalDeltaPayload } from '../../src/contract/payloads.js';
import { decode, decodeOrThrow, orThrow } from '../../src/contract/validation.js';
import { EventTypeRegistry, Ledger, LedgerValidationError, MemoryStore } from '../../src/index.js';
import { sessionStart } from '../support/fixtures.js';

/** The Left's message, or 'ok' for a Right. */
const outcome = <A>(codec: t.Decoder<unknown, A>, value: unknown, prefix = 'f'): string =>
  pipe(decode(codec, value, prefix), E.fold((e) => e.message, () => 'ok'));

describe('event codecs (io-ts brands, fp-ts Either)', () => {
  it('each refined string is a brand that says what it expected, with the path and the value', () => {
    const cases: Array<[t.Decoder<unknown, unknown>, unknown, string]> = [
      [NonEmptyString, 'x', 'ok'],
      [NonEmptyString, '', 'f: expected a non-empty string, got ""'],
      [NonEmptyString, 7, 'f: expected a non-empty string, got 7'],
      [HashString, `sha256:${'a'.repeat(64)}`, 'ok'],
      [HashString, `sha256:${'A'.repeat(64)}`, `f: expected sha256:<64 lowercase hex>, got "sha256:${'A'.repeat(64)}"`],
      [SchemaVersion, '1.0.0', 'ok'],
      [SchemaVersion, '1.0', 'f: expected a semantic version like "1.0.0", got "1.0"'],
      [Timestamp, '2026-01-01T00:00:00.000Z', 'ok'],
      [Timestamp, '2026-01-01T00:00:00Z', 'f: expected an ISO-8601 UTC timestamp like "2026-01-01T00:00:00.000Z", got "2026-01-01T00:00:00Z"'],
      [Uuid, '0192f000-0000-7000-8000-000000000000', 'ok'],
      [Uuid, '0192F000-0000-7000-8000-000000000000', 'f: expected a lowercase UUID, got "0192F000-0000-7000-8000-000000000000"'],
      [EventType, 'node_creation', 'ok'],
      [EventType, 'Node', 'f: expected an event type of lowercase letters, digits and underscores, got "Node"'],
      [DecimalString, '-0.25', 'ok'],
      [DecimalString, '1e3', 'f: expected a decimal string like "-0.25", got "1e3"'],
    ];
    for (const [codec, value, expected] of cases) expect(outcome(codec, value), `${codec.name} ${String(value)}`).to.equal(expected);
  });

  it('a sequence is a t.Int refined to non-negative safe integers', () => {
    expect(Sequence.name).to.equal('Sequence');
    for (const ok of [0, 1, Number.MAX_SAFE_INTEGER]) expect(outcome(Sequence, ok)).to.equal('ok');
    for (const bad of [-1, 1.5, 2 ** 53, '1', Number.NaN, null]) {
      expect(outcome(Sequence, bad), String(bad)).to.match(/^f: expected a non-negative safe integer, got /);
    }
    expect(Sequence.is(3)).to.equal(true);
    expect(Sequence.is(-3)).to.equal(false);
  });

  it('decode is an Either; orThrow and decodeOrThrow throw its Left at the boundary', () => {
    const left = decode(SignalDeltaPayload, { node_id: 'n', signal: 's', delta: 0.5 }, 'payload');
    expect(E.isLeft(left)).to.equal(true);
    const error = pipe(left, E.fold((e) => e, () => undefined));
    expect(error).to.be.instanceOf(LedgerValidationError);
    expect(error!.path).to.equal('payload.delta');
    expect(error!.message).to.equal('payload.delta: expected an integer or a decimal string like "-0.25", got 0.5');
    expect(() => orThrow(left)).to.throw(LedgerValidationError, 'payload.delta');
    expect(() => decodeOrThrow(NonEmptyString, '', 'payload.node_id')).to.throw(LedgerValidationError, 'payload.node_id: expected a non-empty string, got ""');
    expect(orThrow(decode(NonEmptyString, 'n'))).to.equal('n');
  });

  it('the registry looks a type up as an Either: Right its codec, Left the unknown type named', () => {
    const registry = EventTypeRegistry.withSeedTypes();
    expect(pipe(registry.lookup('signal_delta'), E.map((c) => c.name), E.getOrElse(() => ''))).to.equal('signal_delta payload');
    const unknown = pipe(registry.lookup('nope'), E.fold((e) => e, () => undefined));
    expect(unknown).to.be.instanceOf(LedgerValidationError);
    expect(unknown!.path).to.equal('event_type');
    expect(unknown!.value).to.equal('nope');
    expect(unknown!.message).to.contain('unknown event type "nope"');
    // reserve() checks the name with the same EventType brand (and reserves nothing on failure).
    expect(() => EventTypeRegistry.reserve('Not_A_Type', SignalDeltaPayload)).to.throw(LedgerValidationError, 'event_type: expected lowercase letters');
    expect(EventTypeRegistry.isReserved('Not_A_Type')).to.equal(false);
  });

  it('an event read from a ledger decodes with LedgerEventCodec (its brands hold)', async () => {
    const ledger = await Ledger.open(new MemoryStore());
    await ledger.append(sessionStart('s-1'));
    const event = await ledger.read(0);
    expect(LedgerEventCodec.is(event)).to.equal(true);
    expect(orThrow(decode(LedgerEventCodec, event))).to.deep.equal(event);
    expect(outcome(LedgerEventCodec, { ...event, sequence: -1 }, '')).to.equal('sequence: expected a non-negative safe integer, got -1');
    expect(outcome(LedgerEventCodec, { ...event, extra: 1 }, '')).to.match(/^extra: unknown field \(expected event_id, /);
    await ledger.close();
  });

  it('no deprecated t.refinement and no hand-made refine helper in the framework or its examples', () => {
    const root = join(process.cwd());
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith('.ts')) files.push(path);
      }
    };
    for (const dir of ['src', 'projections', 'replay', 'snapshots', 'examples']) walk(join(root, dir));
    const offenders = files.filter((f) => /\bt\.refinement\(|const refine\s*=/.test(readFileSync(f, 'utf8')));
    expect(offenders.map((f) => f.slice(root.length + 1))).to.deep.equal([]);
  });
});
