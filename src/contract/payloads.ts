// Typed payloads for the event types seed 003 asks the ledger to define. Other frameworks own
// the rest (FMWK-002 signals, FMWK-005 graph, FMWK-006 packages) and may register stricter codecs.
// Decimals travel as strings (the byte contract has no floats), so `delta` is an integer or a
// decimal string.
import * as t from 'io-ts';
import { HashString, NonEmptyString, PayloadObject } from './event.js';
import { describeCodec } from './validation.js';

export interface DecimalStringBrand { readonly DecimalString: unique symbol }
/** A decimal written as a string, e.g. "-0.25": how a non-integer number travels. */
export const DecimalString = describeCodec(
  t.brand(t.string, (s): s is t.Branded<string, DecimalStringBrand> => /^-?\d+(\.\d+)?$/.test(s), 'DecimalString'),
  'a decimal string like "-0.25"',
);
export type DecimalString = t.TypeOf<typeof DecimalString>;

/** node_creation: a new node in the Graph. */
export const NodeCreationPayload = t.intersection([
  t.type({ node_id: NonEmptyString, node_type: NonEmptyString }),
  t.partial({ label: t.string, parent_id: t.union([NonEmptyString, t.null], 'a non-empty string or null'), attributes: PayloadObject }),
], 'node_creation payload');
export type NodeCreationPayload = t.TypeOf<typeof NodeCreationPayload>;

/** signal_delta: increment or decrement a named signal on a node. */
export const SignalDeltaPayload = t.intersection([
  t.type({ node_id: NonEmptyString, signal: NonEmptyString, delta: t.union([t.Int, DecimalString], 'an integer or a decimal string like "-0.25"') }),
  t.partial({ reason: t.string }),
], 'signal_delta payload');
export type SignalDeltaPayload = t.TypeOf<typeof SignalDeltaPayload>;

/** package_install: a package installed through the gates of FMWK-006. */
export const PackageInstallPayload = t.intersection([
  t.type({ package_id: NonEmptyString, version: NonEmptyString }),
  t.partial({ framework_id: NonEmptyString, manifest_hash: HashString, gates_passed: t.array(t.string) }),
], 'package_install payload');
export type PackageInstallPayload = t.TypeOf<typeof PackageInstallPayload>;

/** session_start: the opening boundary of a session. */
export const SessionStartPayload = t.intersection([
  t.type({ session_id: NonEmptyString }),
  t.partial({ actor_id: NonEmptyString, purpose: t.string, metadata: PayloadObject }),
], 'session_start payload');
export type SessionStartPayload = t.TypeOf<typeof SessionStartPayload>;

/** The seed's event types without a payload schema of the ledger's own: any JSON object. */
export const SEED_OBJECT_PAYLOAD_TYPES = [
  'methylation_delta', 'suppression', 'unsuppression', 'mode_change', 'consolidation',
  'work_order_transition', 'intent_transition', 'session_end', 'package_uninstall',
  'framework_install',
] as const;
