// A Web4 governance audit trail (seed 000) as a consumer of fmwk-ledger.
export * from './auditEvents.js';
export * from './governanceAudit.js';
export * from './complianceCheck.js';
