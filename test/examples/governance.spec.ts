// The governance audit trail (examples/governance, seed 000) through the public API on a real
// directory store: records by LCT actor, queries by type, actor and time, safe retries, and a
// compliance export checked cold by a third party (and by the independent Python oracle).
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryStore, Ledger, sha256 } from '../../src/index.js';
import {
  GovernanceAudit, GovernanceError, governanceRegistry, verifyComplianceExport, type AuditRecord, type ComplianceReport, type GovernanceLedger,
} from '../../examples/governance/index.js';
import { Oracle } from '../support/pythonOracle.js';
import { tempDir } from '../support/tempDir.js';

const ALICE = 'lct:web4:alice';
const ALICE2 = 'lct:web4:alice2';
const BOB = 'lct:web4:bob';

async function all(it: AsyncIterable<AuditRecord>): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

describe('examples/governance (seed 000 on queries)', () => {
  let dir: string;
  let remove: () => void;
  let ledger: GovernanceLedger;
  let audit: GovernanceAudit;

  beforeEach(async () => {
    ({ dir, remove } = tempDir());
    // A clock one millisecond per event: two records never share a timestamp, so a time window
    // starting at record 2 holds exactly records 2.. (a real clock can give records 0-2 one ms).
    let now = Date.parse('2026-03-01T09:00:00.000Z');
    ledger = await Ledger.open(await DirectoryStore.open(join(dir, 'gov')), { registry: governanceRegistry(), clock: () => new Date(now++) });
    audit = new GovernanceAudit(ledger);
  });
  afterEach(async () => {
    await ledger.close().catch(() => undefined);
    remove();
  });

  /** A small governance history: proposals, decisions, a role, tool calls; returns the records' results in order. */
  async function story() {
    return [
      await audit.record('gov_proposal_created', ALICE, { proposal_id: 'p1', title: 'Update team policy', description: 'tighten reviews' }, { correlation_id: 'p1' }),
      await audit.record('gov_tool_call', ALICE2, { action_type: 'tool_call', target: 'file:///src/main.py', result_hash: sha256('out'), atp_cost: 10 }, { role: 'agent' }),
      await audit.record('gov_proposal_approved', BOB, { proposal_id: 'p1', comment: 'ok' }, { correlation_id: 'p1' }),
      await audit.record('gov_role_assigned', BOB, { subject_lct: ALICE, role: 'reviewer' }),
      await audit.record('gov_proposal_created', ALICE, { proposal_id: 'p2', title: 'Budget', description: '' }, { correlation_id: 'p2' }),
      await audit.record('gov_proposal_rejected', BOB, { proposal_id: 'p2', comment: 'no' }, { correlation_id: 'p2' }),
    ];
  }

  it('queries by type, by LCT actor (one actor only, not its prefix-namesakes), by role and by time', async () => {
    const refs = await story();
    const seqs = (rs: AuditRecord[]) => rs.map((r) => r.sequence);
    expect(seqs(await all(audit.query({ type: 'gov_proposal_created' })))).to.deep.equal([0, 4]);
    expect(seqs(await all(audit.query({ actor_lct: ALICE })))).to.deep.equal([0, 4]);
    expect(seqs(await all(audit.query({ actor_lct: BOB, type: 'gov_proposal_rejected' })))).to.deep.equal([5]);
    expect(seqs(await all(audit.query({ role: 'agent' })))).to.deep.equal([1]);
    expect(seqs(await all(audit.query({ actor_lct: BOB, direction: 'backward', limit: 2 })))).to.deep.equal([5, 3]);
    const ts = await Promise.all(refs.map(async (r) => (await ledger.read(r.sequence)).timestamp));
    const inWindow = refs.map((r, i) => ({ r, t: ts[i]! })).filter(({ t }) => t >= ts[2]! && t <= ts[3]!).map(({ r }) => r.sequence);
    expect(seqs(await all(audit.query({ since: ts[2], until: ts[3] })))).to.deep.equal(inWindow).and.include.members([2, 3]);
    for (const r of await all(audit.query({ actor_lct: ALICE }))) expect(r.payload.actor_lct).to.equal(ALICE);
    const p1 = await all(audit.query({ type: 'gov_proposal_approved' }));
    expect(p1[0]!.metadata).to.deep.equal({ correlation_id: 'p1' });
  });

  it('refuses an identity that is not an LCT (a "/" would let one actor read as another): nothing written', async () => {
    for (const bad of ['lct:web4:alice/x', 'alice', 'lct:web4:', 'LCT:web4:alice']) {
      const e = await audit.record('gov_role_assigned', bad, { subject_lct: BOB, role: 'x' }).catch((x: unknown) => x);
      expect(e, bad).to.be.instanceOf(GovernanceError).with.property('field', 'actor_lct');
    }
    const e = await audit.record('gov_role_assigned', BOB, { subject_lct: 'lct:web4:al/ice', role: 'x' }).catch((x: unknown) => x);
    expect(e).to.have.property('code', 'LEDGER_VALIDATION');
    expect((await ledger.getTip()).sequence_number).to.equal(-1);
  });

  it('a producer retry with the same event_id writes nothing and returns the original; other content under that id is refused', async () => {
    const id = '0190b000-0000-7000-8000-00000000000a';
    const data = { action_type: 'deploy', target: 'svc', result_hash: sha256('r'), atp_cost: 3 };
    const first = await audit.record('gov_tool_call', ALICE, data, { event_id: id });
    expect(await audit.record('gov_tool_call', ALICE, data, { event_id: id })).to.deep.equal(first);
    const e = await audit.record('gov_tool_call', ALICE, { ...data, atp_cost: 4 }, { event_id: id }).catch((x: unknown) => x);
    expect(e).to.have.property('code', 'LEDGER_EVENT_ID_CONFLICT');
    expect((await ledger.getTip()).sequence_number).to.equal(0);
  });

  it('a compliance export verifies cold; a changed byte, a hidden record or a cut tail is caught', async () => {
    await story();
    const exp = join(dir, 'export.jsonl');
    const rep = join(dir, 'report.json');
    const report = await audit.exportCompliance(exp, rep);
    expect(report.records).to.have.length(6);
    expect(await verifyComplianceExport(exp, rep)).to.deep.equal({ valid: true, break_at: null, count: 6, problems: [] });

    const lines = readFileSync(exp, 'utf8');
    const tampered = join(dir, 'tampered.jsonl');
    writeFileSync(tampered, lines.replace('"comment":"no"', '"comment":"ok"'));
    expect(await verifyComplianceExport(tampered, rep)).to.deep.include({ valid: false, break_at: 5 });

    const hidden = join(dir, 'hidden.json');
    writeFileSync(hidden, JSON.stringify({ ...report, records: report.records.filter((r) => r.sequence !== 5) } satisfies ComplianceReport));
    const v = await verifyComplianceExport(exp, hidden);
    expect(v.valid).to.equal(false);
    expect(v.problems.join('\n')).to.match(/leaves out \[5,/);

    const junk = join(dir, 'junk.json');
    writeFileSync(junk, '[1]');
    expect(await verifyComplianceExport(exp, junk)).to.deep.include({ valid: false, problems: ['report: expected { format, tip, count, window, records }'] });

    const cut = join(dir, 'cut.jsonl');
    writeFileSync(cut, `${lines.split('\n').slice(0, 4).join('\n')}\n`);
    const c = await verifyComplianceExport(cut, rep);
    expect(c.valid).to.equal(false);
    expect(c.problems.join('\n')).to.match(/count: the report says 6, the export verifies 4/).and.match(/tip:/);
  });

  it('the independent Python oracle (test/hostile/oracle.py) gives the same verdicts on the export', async () => {
    await story();
    const exp = join(dir, 'export.jsonl');
    await audit.exportCompliance(exp, join(dir, 'report.json'));
    const tampered = join(dir, 'tampered.jsonl');
    writeFileSync(tampered, readFileSync(exp, 'utf8').replace('"comment":"no"', '"comment":"ok"'));
    const oracle = Oracle.start();
    try {
      expect(await oracle.verify(exp)).to.deep.include({ valid: true, break_at: null, count: 6 });
      expect(await oracle.verify(tampered)).to.deep.include({ valid: false, break_at: 5 });
    } finally {
      await oracle.close();
    }
  });

  it('a window export reports only the window\'s records, and the auditor agrees', async () => {
    const refs = await story();
    const since = (await ledger.read(refs[2]!.sequence)).timestamp;
    const report = await audit.exportCompliance(join(dir, 'e.jsonl'), join(dir, 'r.json'), { since });
    expect(report.records.every((r) => r.sequence >= 2)).to.equal(true);
    expect(report.count).to.equal(6);
    const again = await audit.exportCompliance(join(dir, 'e.jsonl'), join(dir, 'r2.json')).catch((x: unknown) => x);
    expect(again).to.have.property('code', 'EEXIST'); // an export never replaces an earlier one
    expect((await verifyComplianceExport(join(dir, 'e.jsonl'), join(dir, 'r.json'))).valid).to.equal(true);
  });
});
