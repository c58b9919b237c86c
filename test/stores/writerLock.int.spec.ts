import { expect } from 'chai';
import { DirectoryStore, Ledger, LedgerLockedError } from '../../src/index.js';
import { script, startNode } from '../support/childProcess.js';
import { tempDir } from '../support/tempDir.js';
import { expectReject } from './ledgerStoreContract.js';

describe('DirectoryStore single writer across processes', function () {
  it('two processes appending to one directory: one is refused naming the holder, no fork', async () => {
    const { dir, remove } = tempDir();
    try {
      const a = startNode(script('appendLoop'), [dir, '300', '100', 'a']);
      const b = startNode(script('appendLoop'), [dir, '300', '100', 'b']);
      await Promise.all([a.exited, b.exited]);
      const outcomes = [a, b].map((c) => c.lines.find((l) => l.startsWith('error')) ?? 'ok');
      const refused = outcomes.filter((o) => o.startsWith('error LedgerLockedError'));
      // Both may succeed one after the other if the first finished before the second opened;
      // what must never happen is both writing at once.
      expect(outcomes.filter((o) => o !== 'ok' && !o.startsWith('error LedgerLockedError'))).to.deep.equal([]);
      if (refused.length === 1) expect(refused[0]).to.match(/locked by another writer \(pid \d+ on .+ since /);
      const ledger = await Ledger.open(await DirectoryStore.open(dir, { readOnly: true }));
      const expected = 300 * (2 - refused.length);
      expect(await ledger.verifyChain()).to.deep.equal({ valid: true, break_at: null, count: expected });
      await ledger.close();
    } finally {
      remove();
    }
  });

  it('a second writer in the same directory is refused while the first holds it', async () => {
    const { dir, remove } = tempDir();
    try {
      const child = startNode(script('appendLoop'), [dir, '1000000', '10', 'holder']);
      await child.waitFor((l) => l === 'open');
      const e = await expectReject(DirectoryStore.open(dir), LedgerLockedError);
      expect(e.message).to.contain(`pid ${child.child.pid}`);
      child.child.kill('SIGKILL');
      await child.exited;
    } finally {
      remove();
    }
  });

  it('a lock left by a killed process is recovered, and the chain continues', async () => {
    const { dir, remove } = tempDir();
    try {
      const child = startNode(script('appendLoop'), [dir, '1000000', '10', 'dead']);
      await child.waitFor((l) => l.startsWith('ack 5 '));
      child.child.kill('SIGKILL');
      await child.exited;
      const ledger = await Ledger.open(await DirectoryStore.open(dir));
      const next = (await ledger.getTip()).sequence_number + 1;
      expect((await ledger.append({ event_type: 'session_end', schema_version: '1.0.0', provenance: { framework_id: 'F', pack_id: 'P', actor: 'system' }, payload: {} })).sequence).to.equal(next);
      expect((await ledger.verifyChain()).valid).to.equal(true);
      await ledger.close();
    } finally {
      remove();
    }
  });
});
