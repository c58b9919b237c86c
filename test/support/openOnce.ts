// Child process: opens a directory store once for writing and reports the outcome on stdout
// ("ok", or "error <name> <message>"), then closes it. Used where the open might hang (a FIFO
// at the lock path on older code) or must run as another user.
// Usage: node openOnce.js DIR
import { DirectoryStore } from '../../src/index.js';

try {
  const store = await DirectoryStore.open(process.argv[2]!);
  await store.close();
  process.stdout.write('ok\n');
} catch (e) {
  process.stdout.write(`error ${(e as Error).name} ${(e as Error).message}\n`);
  process.exitCode = 3;
}
