import type { TypedAppendInput } from '../../src/index.js';

export const provenance = { framework_id: 'FMWK-001', pack_id: 'PC-001-ledger', actor: 'system' } as const;

/** A valid session_start append input. */
export function sessionStart(session_id: string): TypedAppendInput<'session_start', { session_id: string }> {
  return { event_type: 'session_start', schema_version: '1.0.0', provenance, payload: { session_id } };
}
