// Child process for the synchronized-write failure test (test/stores/directoryStore.syncWrite):
// appends 3 events, fills the file system under the ledger's disk (FILLER, on the tmpfs holding
// the loop device's image), appends a big event, frees the space, appends once more, closes.
// Prints "ack <sequence> <hash>" per acknowledged event and "error1|error2 <name> <message>".
// A process, not the test itself: the writer that met the I/O error exits, so its lock is stale
// and the next writer recovers the store the ordinary way.
// Usage: node syncWriteFailure.js DIR FILLER
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { DirectoryStore, Ledger } from '../../src/index.js';
import { sessionStart } from './fixtures.js';

const [dir, filler] = process.argv.slice(2) as [string, string];
const say = (line: string) => process.stdout.write(`${line}\n`);
const report = (tag: string) => (e: Error) => say(`${tag} ${e.name} ${e.message.replace(/\n/g, ' ')}`);

const ledger = await Ledger.open(await DirectoryStore.open(dir));
for (let i = 0; i < 3; i++) {
  const r = await ledger.append(sessionStart(`s${i}`));
  say(`ack ${r.sequence} ${r.hash}`);
}
const fd = openSync(filler, 'w');
try {
  for (;;) writeSync(fd, Buffer.alloc(65536, 0x61));
} catch (e) {
  if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
} finally {
  closeSync(fd);
}
await ledger.append(sessionStart('x'.repeat(5000))).then((r) => say(`ack ${r.sequence} ${r.hash}`), report('error1'));
unlinkSync(filler);
await ledger.append(sessionStart('after')).then((r) => say(`ack ${r.sequence} ${r.hash}`), report('error2'));
await ledger.close().then(() => say('closed'), report('close'));
