// A Web4 governance audit trail (seed 000, governance_audit.py) as fmwk-ledger events: each
// record names its actor by LCT identity, and every actor's records form one stream.
import * as t from 'io-ts';
import { EventTypeRegistry, HashString, NonEmptyString, type LedgerEvent } from '../../src/index.js';

export interface LctBrand { readonly Lct: unique symbol }
/**
 * A Web4 identity, `lct:<namespace>:<name>` (lowercase letters, digits, `.`, `_`, `-` in each
 * part). No `/`: the actor's stream id ends with one, so a prefix query matches one actor only.
 */
export const Lct = t.brand(t.string, (s): s is t.Branded<string, LctBrand> => /^lct(:[a-z0-9][a-z0-9._-]{0,63}){2,4}$/.test(s), 'Lct');
export type Lct = t.TypeOf<typeof Lct>;

export interface AtpBrand { readonly Atp: unique symbol }
/** An ATP cost: an integer >= 0 (an io-ts brand, so a decoded cost carries its check). */
export const Atp = t.brand(t.Int, (n): n is t.Branded<t.Int, AtpBrand> => n >= 0, 'Atp');

const withActor = <P extends t.Props>(props: P, name: string) => t.type({ actor_lct: Lct, ...props }, name);

export const ProposalCreated = withActor({ proposal_id: NonEmptyString, title: NonEmptyString, description: t.string }, 'gov_proposal_created payload');
export const ProposalDecision = withActor({ proposal_id: NonEmptyString, comment: t.string }, 'gov_proposal decision payload');
export const RoleAssigned = withActor({ subject_lct: Lct, role: NonEmptyString }, 'gov_role_assigned payload');
export const ToolCall = withActor(
  { action_type: NonEmptyString, target: NonEmptyString, result_hash: HashString, atp_cost: Atp },
  'gov_tool_call payload',
);

/** The audit record types (seed 000's AuditEventType), by event type. */
export interface GovernanceRecords {
  gov_proposal_created: t.OutputOf<typeof ProposalCreated>;
  gov_proposal_approved: t.OutputOf<typeof ProposalDecision>;
  gov_proposal_rejected: t.OutputOf<typeof ProposalDecision>;
  gov_role_assigned: t.OutputOf<typeof RoleAssigned>;
  gov_tool_call: t.OutputOf<typeof ToolCall>;
}
export type GovernanceType = keyof GovernanceRecords;

/** The event types a governance ledger accepts (on top of seed 003's). */
export const governanceRegistry = () =>
  EventTypeRegistry.withSeedTypes()
    .register('gov_proposal_created', ProposalCreated)
    .register('gov_proposal_approved', ProposalDecision)
    .register('gov_proposal_rejected', ProposalDecision)
    .register('gov_role_assigned', RoleAssigned)
    .register('gov_tool_call', ToolCall);

/** The stream holding every record of one actor: `audit/<lct>/` (the trailing `/` bounds prefix queries). */
export const actorStream = (lct: string): string => {
  if (!Lct.is(lct)) throw new GovernanceError('actor_lct', 'expected lct:<namespace>:<name>', lct);
  return `audit/${lct}/`;
};

/** An audit record as read back. */
export type AuditRecord = LedgerEvent<GovernanceRecords[GovernanceType] & { readonly actor_lct: string }>;

/** A refused governance call or a compliance export that does not hold; `field` names what. */
export class GovernanceError extends Error {
  readonly code = 'GOVERNANCE_INVALID';
  constructor(
    readonly field: string,
    message: string,
    readonly value: unknown,
  ) {
    super(`${field}: ${message} (got ${JSON.stringify(value)})`);
    this.name = 'GovernanceError';
  }
}
