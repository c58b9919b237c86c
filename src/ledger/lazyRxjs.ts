// rxjs, loaded on first use: a ledger nobody subscribes to (the CLI's tip, read, verify, most
// library calls) never pays for loading its ~220 files (about as long as a bare node start).
// Its Node build is CommonJS (its exports map gives the `node` condition the cjs build), so this
// require() returns the very module an `import ... from 'rxjs'` gets: Observables and Subjects
// stay the same classes as a consumer's own rxjs.
import { createRequire } from 'node:module';

type Rxjs = typeof import('rxjs');
let loaded: Rxjs | undefined;

/** The rxjs module, required on the first call. */
export function rxjs(): Rxjs {
  return (loaded ??= createRequire(import.meta.url)('rxjs') as Rxjs);
}
