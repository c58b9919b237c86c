// Real child processes, real SIGKILLs: no acknowledged event is ever lost, and what remains is
// always a valid chain (a torn last write is quarantined on the next open, never accepted).
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryStore, Ledger } from '../../src/index.js';
import { script, startNode } from '../support/childProcess.js';
import { tempDir } from '../support/tempDir.js';

describe('DirectoryStore under kill -9 (child processes)', function () {
  it('loses no acknowledged event across 15 SIGKILLs at random moments', async () => {
    const { dir, remove } = tempDir();
    try {
      const acked = new Map<number, string>();
      for (let round = 0; round < 15; round++) {
        // 0..40 KB payloads make a kill during a write() likely to tear the line.
        const child = startNode(script('appendLoop'), [dir, '1000000', String((round % 5) * 10_000), `r${round}`]);
        await child.waitFor((l) => l === 'open' || l.startsWith('error'));
        await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 150)));
        child.child.kill('SIGKILL');
        expect(await child.exited).to.equal('SIGKILL');
        for (const line of child.lines) {
          const m = /^ack (\d+) (\S+)$/.exec(line);
          if (m) acked.set(Number(m[1]), m[2]!);
        }
      }
      expect(acked.size).to.be.greaterThan(15);
      const ledger = await Ledger.open(await DirectoryStore.open(dir));
      const tip = await ledger.getTip();
      expect(tip.sequence_number).to.be.at.least(Math.max(...acked.keys()));
      expect(await ledger.verifyChain()).to.deep.include({ valid: true, count: tip.sequence_number + 1 });
      for (const [seq, id] of acked) expect((await ledger.read(seq)).payload).to.include({ session_id: id });
      await ledger.close();
      // Torn tails, if any kill landed mid-write, were kept for forensics, not silently dropped.
      if (existsSync(join(dir, 'torn'))) for (const f of readdirSync(join(dir, 'torn'))) expect(readFileSync(join(dir, 'torn', f)).length).to.be.greaterThan(0);
    } finally {
      remove();
    }
  });
});
