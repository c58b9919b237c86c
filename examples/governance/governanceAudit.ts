// Seed 000's GovernanceAuditTrail over fmwk-ledger: record(), query() by type, actor and time
// through the ledger's indexes, and a compliance export a third party verifies with nothing
// but the export, its report and `fmwk-ledger/verify`.
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { open, writeFile } from 'node:fs/promises';
import type { EventTypeRegistry, Ledger, Provenance } from '../../src/index.js';
import { GovernanceError, actorStream, type AuditRecord, type GovernanceRecords, type GovernanceType, type governanceRegistry } from './auditEvents.js';

type Codecs = ReturnType<typeof governanceRegistry> extends EventTypeRegistry<infer M> ? M : never;
/** A ledger opened with `governanceRegistry()`. */
export type GovernanceLedger = Ledger<Codecs>;
export type AuditRef = Awaited<ReturnType<GovernanceLedger['append']>>;

export interface RecordOptions {
  /** Who in the ledger's own terms wrote it (provenance.actor): a human operator, an agent, the system. */
  readonly role?: Provenance['actor'];
  /** A caller-chosen UUID: recording the same record again with it writes nothing (safe retries). */
  readonly event_id?: string;
  /** Ties records of one flow together (e.g. a proposal's lifecycle); kept in the event's metadata. */
  readonly correlation_id?: string;
}

export interface AuditQuery {
  readonly type?: GovernanceType;
  /** An LCT identity: served by the actor's stream. */
  readonly actor_lct?: string;
  readonly role?: Provenance['actor'];
  /** The ledger's own timestamps, ISO-8601 UTC, inclusive. */
  readonly since?: string;
  readonly until?: string;
  readonly limit?: number;
  readonly direction?: 'forward' | 'backward';
}

/** What the compliance report states about the export it goes with; the auditor re-derives all of it. */
export interface ComplianceReport {
  readonly format: 'fmwk-ledger-governance-report/1';
  /** The export's last event: the auditor compares it with a tip obtained elsewhere. */
  readonly tip: { readonly sequence: number; readonly hash: string };
  readonly count: number;
  readonly window: { readonly since: string | null; readonly until: string | null };
  /** Every governance record in the window: sequence, hash, type, actor. */
  readonly records: ReadonlyArray<{ readonly sequence: number; readonly hash: string; readonly type: string; readonly actor_lct: string }>;
}

const PROVENANCE = { framework_id: 'FMWK-GOV', pack_id: 'PC-GOV-audit' } as const;

/**
 * An immutable governance audit trail: each record names its actor (an LCT) and lands in that
 * actor's stream, on the ledger's one hash chain.
 *
 * @example
 * const audit = new GovernanceAudit(await Ledger.open(store, { registry: governanceRegistry() }));
 * await audit.record('gov_proposal_created', 'lct:web4:alice', { proposal_id: 'p1', title: 'Policy', description: '' });
 * for await (const r of audit.query({ type: 'gov_proposal_approved', since: '2026-01-01T00:00:00.000Z' })) …
 */
export class GovernanceAudit {
  constructor(readonly ledger: GovernanceLedger) {}

  /** Appends one audit record by `actorLct`; resolves once it is durable (rejects, writing nothing, on a bad LCT). */
  async record<K extends GovernanceType>(type: K, actorLct: string, data: Omit<GovernanceRecords[K], 'actor_lct'>, options: RecordOptions = {}): Promise<AuditRef> {
    const stream_id = actorStream(actorLct);
    const input = {
      event_type: type,
      schema_version: '1.0.0',
      provenance: { ...PROVENANCE, actor: options.role ?? 'operator' },
      payload: { actor_lct: actorLct, ...data },
      stream_id,
      ...(options.event_id === undefined ? {} : { event_id: options.event_id }),
      ...(options.correlation_id === undefined ? {} : { metadata: { correlation_id: options.correlation_id } }),
    };
    return this.ledger.append(input as unknown as Parameters<GovernanceLedger['append']>[0]);
  }

  /** Records matching every filter, streamed from the indexes (not a scan of the ledger). */
  async *query(q: AuditQuery = {}): AsyncGenerator<AuditRecord> {
    const stream = q.actor_lct === undefined ? undefined : actorStream(q.actor_lct);
    const filter = {
      ...(q.type === undefined ? {} : { event_type: q.type }),
      ...(q.role === undefined ? {} : { actor: q.role }),
      ...(stream === undefined ? { framework_id: PROVENANCE.framework_id } : { stream_id_prefix: stream }),
      ...(q.since === undefined ? {} : { since: q.since }),
      ...(q.until === undefined ? {} : { until: q.until }),
      ...(q.limit === undefined ? {} : { limit: q.limit }),
      ...(q.direction === undefined ? {} : { direction: q.direction }),
    };
    for await (const e of this.ledger.query(filter)) yield e as unknown as AuditRecord;
  }

  /**
   * Writes the compliance export: `exportFile` holds every line of the ledger as stored (the
   * chain from genesis, so it verifies cold), `reportFile` what the export shows for the window.
   * Neither file may exist yet: an export never replaces an earlier one.
   */
  async exportCompliance(exportFile: string, reportFile: string, window: { since?: string; until?: string } = {}): Promise<ComplianceReport> {
    const tip = await this.ledger.getTip();
    if (tip.sequence_number < 0) throw new GovernanceError('ledger', 'nothing to export', tip.sequence_number);
    // Opened (exclusively) before streaming, so an existing file rejects this call instead of
    // surfacing later as an unhandled stream error.
    const out = (await open(exportFile, 'wx')).createWriteStream();
    let count = 0;
    for await (const { line } of this.ledger.readLines(0, tip.sequence_number)) {
      if (!out.write(`${line}\n`)) await once(out, 'drain');
      count++;
    }
    out.end();
    await finished(out);
    const records: ComplianceReport['records'][number][] = [];
    for await (const r of this.query(window)) {
      if (r.sequence > tip.sequence_number) break;
      records.push({ sequence: r.sequence, hash: r.hash, type: r.event_type, actor_lct: r.payload.actor_lct });
    }
    const report: ComplianceReport = {
      format: 'fmwk-ledger-governance-report/1',
      tip: { sequence: tip.sequence_number, hash: tip.hash },
      count,
      window: { since: window.since ?? null, until: window.until ?? null },
      records,
    };
    await writeFile(reportFile, `${JSON.stringify(report, null, 2)}\n`, { flag: 'wx' });
    return report;
  }
}
