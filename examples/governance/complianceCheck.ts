// The auditor's side: a compliance export and its report, checked cold with `fmwk-ledger/verify`
// only (no store, no index, no ledger instance): the chain verifies byte for byte, the report's
// tip is the export's last event, and its records are exactly the window's governance records.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { verifyFile } from '../../src/verify.js';
import type { ComplianceReport } from './governanceAudit.js';

export interface ComplianceVerdict {
  readonly valid: boolean;
  /** The chain's own verdict: the first bad sequence, or null. */
  readonly break_at: number | null;
  readonly count: number;
  /** What does not hold, each naming the field or sequence. */
  readonly problems: readonly string[];
}

/** Checks `exportFile` against `reportFile`, trusting neither. */
export async function verifyComplianceExport(exportFile: string, reportFile: string): Promise<ComplianceVerdict> {
  const chain = await verifyFile(exportFile);
  const problems: string[] = [];
  if (!chain.valid) problems.push(`chain: breaks at sequence ${chain.break_at}`);
  const report = JSON.parse(await readFile(reportFile, 'utf8')) as ComplianceReport;
  // The report is the other party's claim: a malformed one is a finding, not a crash.
  if (typeof report !== 'object' || report === null || !Array.isArray(report.records) || typeof report.tip !== 'object' || report.tip === null || typeof report.window !== 'object' || report.window === null) {
    return { valid: false, break_at: chain.break_at, count: chain.count, problems: ['report: expected { format, tip, count, window, records }'] };
  }
  if (report.format !== 'fmwk-ledger-governance-report/1') problems.push(`format: unknown ${JSON.stringify(report.format)}`);
  if (report.count !== chain.count) problems.push(`count: the report says ${report.count}, the export verifies ${chain.count}`);
  if (!chain.valid) return { valid: false, break_at: chain.break_at, count: chain.count, problems };

  // The chain is valid, so each line parses and its hash is its own: read what the report claims.
  const { since, until } = report.window;
  const expected: string[] = [];
  let last: { sequence: number; hash: string } | undefined;
  for await (const line of createInterface({ input: createReadStream(exportFile, 'utf8'), crlfDelay: Infinity })) {
    if (line === '') continue;
    const e = JSON.parse(line) as { sequence: number; hash: string; event_type: string; timestamp: string; provenance: { framework_id: string }; payload: { actor_lct?: string } };
    last = { sequence: e.sequence, hash: e.hash };
    const inWindow = (since === null || e.timestamp >= since) && (until === null || e.timestamp <= until);
    if (inWindow && e.provenance.framework_id === 'FMWK-GOV' && e.event_type.startsWith('gov_')) {
      expected.push(JSON.stringify([e.sequence, e.hash, e.event_type, e.payload.actor_lct]));
    }
  }
  if (!last || last.sequence !== report.tip.sequence || last.hash !== report.tip.hash) {
    problems.push(`tip: the report says ${JSON.stringify(report.tip)}, the export ends at ${JSON.stringify(last)}`);
  }
  const claimed = report.records.map((r) => JSON.stringify([r.sequence, r.hash, r.type, r.actor_lct]));
  const missing = expected.filter((r) => !claimed.includes(r));
  const extra = claimed.filter((r) => !expected.includes(r));
  if (missing.length) problems.push(`records: the report leaves out ${missing.join(', ')}`);
  if (extra.length) problems.push(`records: the export does not hold ${extra.join(', ')}`);
  return { valid: problems.length === 0, break_at: null, count: chain.count, problems };
}
