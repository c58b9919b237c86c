// Hostile append inputs: thousands of malformed inputs through Ledger.append on a directory
// store, each rejected with one typed LedgerError (never a TypeError or RangeError escaping)
// and the ledger file byte-identical afterwards; then a set of malformed JSON lines through the
// CLI `append` as a real child process: exit 1, one stderr line naming the line, nothing written.
import { expect } from 'chai';
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirectoryStore, Ledger, LedgerError } from '../../src/index.js';
import { jsonObject, withLoneSurrogate } from '../support/jsonArbitraries.js';
import { tempDir } from '../support/tempDir.js';

const SEED = 20_260_108;
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const PROVENANCE = { framework_id: 'FMWK-001', pack_id: 'PC-001-ledger', actor: 'system' };
const valid = (payload: Record<string, unknown> = { session_id: 's' }): Record<string, unknown> => ({
  event_type: 'session_start',
  schema_version: '1.0.0',
  provenance: { ...PROVENANCE },
  payload,
});

class Custom {
  x = 1;
}
const cycle = (): unknown => {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
};
const deep = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

/** Values canonical JSON cannot carry faithfully. */
const badValue: fc.Arbitrary<[string, unknown]> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)).map((d) => ['float', d] as [string, unknown]),
  fc.constantFrom<[string, unknown]>(
    ['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity], ['2^53', 2 ** 53], ['-(2^53)', -(2 ** 53)], ['1e300', 1e300],
    ['0.1', 0.1], ['bigint', 1n], ['undefined', undefined], ['function', () => 1], ['symbol', Symbol('s')], ['Date', new Date(0)],
    ['Map', new Map([[1, 2]])], ['Set', new Set([1])], ['RegExp', /x/], ['class instance', new Custom()], ['Uint8Array', new Uint8Array(2)],
    ['Buffer', Buffer.from('x')], ['sparse array', [1, , 3]], ['toJSON', { toJSON: () => 1 }], ['boxed string', Object('s')],
  ),
  fc.constant(0).map((): [string, unknown] => ['cycle', cycle()]),
  fc.integer({ min: 513, max: 3000 }).map((d): [string, unknown] => [`nested ${d} deep`, deep(d)]),
  // 2^53 + 2k is exactly representable (and unsafe) for every k < 2^52; fc.integer cannot go past 2^31.
  fc.tuple(fc.nat(), fc.boolean()).map(([k, neg]): [string, unknown] => [`unsafe ${neg ? '-' : ''}2^53+${2 * k}`, (neg ? -1 : 1) * (2 ** 53 + 2 * k)]),
  withLoneSurrogate.map((s): [string, unknown] => ['lone surrogate value', s]),
);

/** Puts `value` somewhere inside a valid session_start payload (a key or a nested position). */
const inPayload = fc
  .tuple(badValue, fc.nat(3), jsonObject, fc.string({ maxLength: 6 }))
  .map(([[what, value], where, extra, key]): [string, unknown] => {
    const placed = where === 0 ? value : where === 1 ? [1, value] : where === 2 ? { k: value } : [{ k: [value] }];
    return [`payload: ${what}`, valid({ ...extra, session_id: 's', [`x${key}`]: placed })];
  });

const loneKey = withLoneSurrogate.map((s): [string, unknown] => ['payload key with a lone surrogate', valid({ session_id: 's', [s]: 1 })]);

const OWNED = ['event_id', 'sequence', 'timestamp', 'previous_hash', 'hash'] as const;
const ownedField = fc
  .tuple(fc.constantFrom(...OWNED), fc.oneof(fc.nat(), fc.string(), fc.constant(null)))
  .map(([f, v]): [string, unknown] => [`ledger-owned ${f}`, { ...valid(), [f]: v }]);

const unknownField = fc
  .string({ minLength: 1, maxLength: 8 })
  .filter((k) => !['event_type', 'schema_version', 'provenance', 'payload', ...OWNED].includes(k) && k !== '__proto__')
  .map((k): [string, unknown] => [`unknown field ${JSON.stringify(k)}`, { ...valid(), [k]: 1 }]);

const missingField = fc
  .constantFrom('event_type', 'schema_version', 'provenance', 'payload')
  .map((f): [string, unknown] => {
    const v = valid();
    delete v[f];
    return [`missing ${f}`, v];
  });

const notAnObject = fc.constantFrom<[string, unknown]>(
  ['null', null], ['undefined', undefined], ['number', 42], ['string', 'x'], ['array', [valid()]], ['boolean', true], ['Date', new Date(0)],
);

const badEventType = fc
  .oneof(
    fc.string({ maxLength: 12 }).filter((s) => !/^[a-z][a-z0-9_]*$/.test(s)),
    fc.constantFrom('Session_start', 'session-start', '1abc', '', ' session_start', 'session_start\n', 'zz_unregistered', 'not_a_seed_type'),
    fc.oneof(fc.integer(), fc.constant(null), fc.constant({})),
  )
  .map((t): [string, unknown] => [`event_type ${JSON.stringify(t)}`, { ...valid(), event_type: t }]);

const badSchemaVersion = fc
  .oneof(fc.string({ maxLength: 10 }).filter((s) => !/^\d+\.\d+\.\d+$/.test(s)), fc.constantFrom<unknown>(1, null, '1.0', '1.0.0.0', 'v1.0.0', '1.0.0 '))
  .map((v): [string, unknown] => [`schema_version ${JSON.stringify(v)}`, { ...valid(), schema_version: v }]);

const badProvenance = fc
  .oneof(
    fc.constantFrom<unknown>(null, 'agent', [], 1),
    fc.constantFrom('framework_id', 'pack_id', 'actor').map((f) => {
      const p: Record<string, unknown> = { ...PROVENANCE };
      delete p[f];
      return p;
    }),
    fc.oneof(fc.string(), fc.constant(null)).filter((a) => !['system', 'operator', 'agent'].includes(a as string)).map((actor) => ({ ...PROVENANCE, actor })),
    fc.constantFrom('framework_id', 'pack_id').map((f) => ({ ...PROVENANCE, [f]: '' })),
  )
  .map((p): [string, unknown] => [`provenance ${JSON.stringify(p)}`, { ...valid(), provenance: p }]);

const badPayload = fc
  .oneof(
    fc.constantFrom<unknown>(null, [], 'x', 1, true),
    fc.constantFrom<unknown>({}, { session_id: '' }, { session_id: 1 }, { session_id: null }, { session_id: ['s'] }),
  )
  .map((p): [string, unknown] => [`payload ${JSON.stringify(p)}`, { ...valid(), payload: p }]);

const badTypedPayload = fc
  .constantFrom<[string, Record<string, unknown>]>(
    ['node_creation', { node_id: 'n' }], ['node_creation', { node_id: '', node_type: 't' }], ['node_creation', { node_id: 'n', node_type: 't', parent_id: 1 }],
    ['signal_delta', { node_id: 'n', signal: 's', delta: 0.5 }], ['signal_delta', { node_id: 'n', signal: 's', delta: 'abc' }],
    ['package_install', { package_id: 'p', version: '1', manifest_hash: 'md5:00' }], ['package_install', { package_id: 'p', version: '1', gates_passed: [1] }],
  )
  .map(([t, p]): [string, unknown] => [`${t} payload ${JSON.stringify(p)}`, { ...valid(), event_type: t, payload: p }]);

/** Every kind of malformed input, roughly evenly. */
const malformed = fc.oneof(inPayload, loneKey, ownedField, unknownField, missingField, notAnObject, badEventType, badSchemaVersion, badProvenance, badPayload, badTypedPayload);

describe('hostile: malformed append inputs', function () {
  this.timeout(120_000);
  let dir: string;
  let remove: () => void;
  beforeEach(() => ({ dir, remove } = tempDir('fmwk-hostile-')));
  afterEach(() => remove());

  /** Appends `input`, expects one typed LedgerError, and the file unchanged. */
  async function expectRejected(ledger: Ledger, file: string, what: string, input: unknown): Promise<LedgerError> {
    const before = readFileSync(file);
    let error: unknown;
    try {
      await ledger.append(input as never);
    } catch (e) {
      error = e;
    }
    expect(error, `${what}: accepted`).to.not.equal(undefined);
    expect(error, `${what}: ${String(error)}`).to.be.instanceOf(LedgerError);
    expect(['LEDGER_VALIDATION', 'LEDGER_SERIALIZATION'], `${what}: ${String(error)}`).to.include((error as LedgerError).code);
    expect(readFileSync(file).equals(before), `${what}: the ledger file changed`).to.equal(true);
    return error as LedgerError;
  }

  it('3,000 malformed inputs through Ledger.append: one typed LedgerError each, the file byte-identical', async () => {
    const store = join(dir, 'store');
    const file = join(store, 'ledger.jsonl');
    const ledger = await Ledger.open(await DirectoryStore.open(store));
    try {
      await ledger.append(valid() as never);
      let tried = 0;
      await fc.assert(
        fc.asyncProperty(malformed, async ([what, input]) => {
          tried++;
          await expectRejected(ledger, file, what, input);
        }),
        { seed: SEED, numRuns: 3000 },
      );
      // Still a working ledger: the next good input lands right after the first.
      expect((await ledger.append(valid() as never)).sequence).to.equal(1);
      expect(await ledger.verifyChain()).to.deep.include({ valid: true, count: 2 });
      console.log(`      (${tried} malformed inputs rejected)`);
    } finally {
      await ledger.close();
    }
  });

  it('a payload over the size limit is refused before anything is written', async () => {
    const store = join(dir, 'store');
    const ledger = await Ledger.open(await DirectoryStore.open(store));
    try {
      await ledger.append(valid() as never);
      const e = await expectRejected(ledger, join(store, 'ledger.jsonl'), 'huge payload', valid({ session_id: 's', big: 'x'.repeat(1024 * 1024 + 1) }));
      expect(e.message).to.contain('payload');
    } finally {
      await ledger.close();
    }
  });

  it('provenance with extra fields is refused (nothing a caller passes is dropped silently)', async () => {
    const store = join(dir, 'store');
    const file = join(store, 'ledger.jsonl');
    const ledger = await Ledger.open(await DirectoryStore.open(store));
    try {
      await ledger.append(valid() as never);
      for (const extra of [{ correlation_id: 'c-1' }, { actor_id: 'u' }, { '': 1 }, { hash: 'x' }]) {
        const e = await expectRejected(ledger, file, `provenance + ${JSON.stringify(extra)}`, { ...valid(), provenance: { ...PROVENANCE, ...extra } });
        expect(e.message).to.contain(Object.keys(extra)[0]!);
      }
    } finally {
      await ledger.close();
    }
  });

  it('snapshot_created is reserved for the framework: append refuses it, naming the type', async () => {
    const store = join(dir, 'store');
    const file = join(store, 'ledger.jsonl');
    const ledger = await Ledger.open(await DirectoryStore.open(store));
    try {
      await ledger.append(valid() as never);
      const payload = {
        sequence: 0, file: '0.snapshot', file_hash: `sha256:${'a'.repeat(64)}`, anchor_hash: `sha256:${'b'.repeat(64)}`,
        format_version: 1, projections: [{ name: 'count', version: 1 }],
      };
      const e = await expectRejected(ledger, file, 'snapshot_created', { ...valid(), event_type: 'snapshot_created', payload });
      expect(e.message).to.contain('snapshot_created');
    } finally {
      await ledger.close();
    }
  });

  // ---- the CLI ---------------------------------------------------------------------------------

  const GOOD = JSON.stringify(valid());
  const withPayload = (p: string) => `{"event_type":"session_start","schema_version":"1.0.0","provenance":${JSON.stringify(PROVENANCE)},"payload":${p}}`;
  const raw = (s: string) => Buffer.from(s, 'utf8');
  /** A good input whose session_id holds `bytes` verbatim. */
  const withBytes = (bytes: number[]) => {
    const [a, b] = withPayload('{"session_id":"@@"}').split('@@');
    return Buffer.concat([raw(a!), Buffer.from(bytes), raw(b!)]);
  };
  const CLI_CASES: ReadonlyArray<[string, Buffer]> = [
    ...['1.0', '1e2', '-0.0', '1e-400', '2.0000000000000001', '9007199254740990.6', '1E400', '9007199254740992', '-9007199254740993', '123456789012345678901234567890', 'NaN'].map(
      (n): [string, Buffer] => [`number ${n}`, raw(withPayload(`{"session_id":"s","n":${n}}`))],
    ),
    ['duplicate payload key', raw(withPayload('{"session_id":"a","session_id":"b"}'))],
    ['duplicate key spelled with an escape', raw(withPayload('{"session_id":"a","\\u0073ession_id":"b"}'))],
    ['duplicate top-level payload', raw(`{"payload":{"session_id":"x"},${withPayload('{"session_id":"a"}').slice(1)}`)],
    ['invalid UTF-8: FF', withBytes([0xff])],
    ['invalid UTF-8: overlong C0 AF', withBytes([0xc0, 0xaf])],
    ['invalid UTF-8: surrogate ED A0 80', withBytes([0xed, 0xa0, 0x80])],
    ['invalid UTF-8: lone continuation 80', withBytes([0x80])],
    ['lone surrogate escape in a value', raw(withPayload('{"session_id":"\\ud800"}'))],
    ['lone surrogate escape in a key', raw(withPayload('{"session_id":"s","\\udc00":1}'))],
    ['provenance with an extra field', raw(GOOD.replace('"actor":"system"', '"actor":"system","correlation_id":"c-1"'))],
    ['snapshot_created', raw(GOOD.replace('"session_start"', '"snapshot_created"').replace('{"session_id":"s"}', `{"sequence":0,"file":"0.snapshot","file_hash":"sha256:${'a'.repeat(64)}","anchor_hash":"sha256:${'b'.repeat(64)}","format_version":1,"projections":[]}`))],
    ['ledger-owned sequence', raw(`{"sequence":0,${GOOD.slice(1)}`)],
    ['ledger-owned hash', raw(`{"hash":"sha256:${'0'.repeat(64)}",${GOOD.slice(1)}`)],
    ['huge payload', raw(withPayload(`{"session_id":"s","big":"${'x'.repeat(1024 * 1024 + 10)}"}`))],
    ['nested 100,000 deep', raw(withPayload(`{"session_id":"s","d":${'['.repeat(100_000)}${']'.repeat(100_000)}}`))],
    ['not an object', raw('[1,2,3]')],
    ['BOM before the object', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), raw(GOOD)])],
  ];

  function cliAppend(store: string, input: Buffer): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [MAIN, 'append', '--store', store, '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.on('error', () => undefined); // the CLI may stop reading at the bad line
      child.stdin.end(input);
    });
  }

  it(`${CLI_CASES.length} malformed lines through the CLI append (child processes): exit 1, one stderr line naming line 2, nothing of it written`, async () => {
    // Two lanes (two stores) so that two children run at a time.
    const lanes = [join(dir, 'a'), join(dir, 'b')];
    for (const s of lanes) expect((await cliAppend(s, raw(`${GOOD}\n`))).code).to.equal(0);
    const failures: string[] = [];
    const runLane = async (store: string, cases: ReadonlyArray<[string, Buffer]>) => {
      for (const [what, bad] of cases) {
        const file = join(store, 'ledger.jsonl');
        const before = readFileSync(file);
        // Line 1 is a good one (written and acknowledged), line 2 the bad one, line 3 good again (never reached).
        const r = await cliAppend(store, Buffer.concat([raw(`${GOOD}\n`), bad, raw(`\n${GOOD}\n`)]));
        const after = readFileSync(file);
        const stderrLines = r.stderr.trim().split('\n');
        const acked = r.stdout.trim().split('\n').filter(Boolean);
        const ok =
          r.code === 1 &&
          stderrLines.length === 1 &&
          /line 2\b/.test(stderrLines[0]!) &&
          acked.length === 1 &&
          after.length > before.length &&
          after.subarray(0, before.length).equals(before) &&
          after.subarray(before.length).indexOf(0x0a) === after.length - before.length - 1; // exactly one new line: line 1's
        if (!ok) failures.push(`${what}: exit ${r.code}, stdout ${JSON.stringify(r.stdout.slice(0, 200))}, stderr ${JSON.stringify(r.stderr.slice(0, 300))}, file grew by ${after.length - before.length} bytes`);
      }
    };
    await Promise.all(lanes.map((s, i) => runLane(s, CLI_CASES.filter((_, j) => j % 2 === i))));
    expect(failures, failures.join('\n')).to.deep.equal([]);
  });
});
