// The exported conformance suite is runner-neutral and can fail: run under node:test in a child
// process (importing fmwk-ledger/testing by the package's name, in a project where the tarball of
// npm pack is installed), it passes a correct store and names the broken behaviour of stores with
// a planted fault.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packedInstall, projectSubdir } from '../support/packedInstall.js';

const compiled = fileURLToPath(new URL('./conformanceUnderNodeTest.js', import.meta.url));
let placed: Promise<string> | undefined;

/** The store author's test file, copied into the consumer project (once). */
async function place(): Promise<string> {
  const file = join(projectSubdir(await packedInstall(), 'conformance'), 'conformance.test.mjs');
  copyFileSync(compiled, file);
  return file;
}

async function runNodeTest(kind: string): Promise<{ code: number | null; out: string }> {
  const file = await (placed ??= place());
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, kind], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out }));
  });
}

const failed = (out: string): string[] => [...out.matchAll(/^\s+not ok \d+ - (.*)$/gm)].map((m) => m[1]!);

describe('fmwk-ledger/testing: ledgerStoreConformance under another runner', function () {
  this.timeout(900_000);

  it('a correct store passes every test with node:test', async () => {
    const { code, out } = await runNodeTest('memory');
    expect(code, out).to.equal(0);
    expect(out).to.match(/^# pass 30$/m).and.match(/^# fail 0$/m);
  });

  it('a store shared by two ledgers (atomic stream and event-id checks) passes the persistent tests too', async () => {
    const { code, out } = await runNodeTest('shared');
    expect(code, out).to.equal(0);
    expect(out).to.match(/^# pass 34$/m).and.match(/^# fail 0$/m);
  });

  it('an index that names the wrong event for a hash fails the lookup tests: the ledger checks what an index says', async () => {
    const { code, out } = await runNodeTest('lying');
    expect(code, out).to.equal(1);
    expect(failed(out)).to.deep.equal(['getByHash and getByEventId return the event, checked; undefined when the ledger holds none', 'the index rebuilt from the lines gives the same answers']);
  });

  it('a store that accepts an append on a stale tip (a fork) fails the second-writer test', async () => {
    const { code, out } = await runNodeTest('forking');
    expect(code, out).to.equal(1);
    expect(failed(out)).to.deep.equal(['a second writer that finds the tip moved gets LedgerSequenceError, writes nothing, then succeeds']);
  });

  it('a store that loses the last line of a scan fails the range, verify and streaming tests', async () => {
    const { code, out } = await runNodeTest('lossy');
    expect(code, out).to.equal(1);
    expect(failed(out)).to.include.members(['readRange is inclusive, readSince is exclusive, both in order', 'streams a few thousand events in order']);
  });
});
