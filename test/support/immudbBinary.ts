// Finds the immudb server binary the tests run: $IMMUDB_BIN, else the path where
// `npm run immudb:install` caches the pinned build. The pin is read from the install script so
// that the version is written in one place only.

import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'scripts', 'immudb-install.sh'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('immudb test harness: scripts/immudb-install.sh not found above the test files');
    dir = parent;
  }
  return dir;
}

/** The version the install script pins, e.g. `v1.11.1`. */
export function pinnedImmudbVersion(): string {
  const script = readFileSync(join(repoRoot(), 'scripts', 'immudb-install.sh'), 'utf8');
  const match = /^IMMUDB_VERSION="(v[^"]+)"$/m.exec(script);
  if (match?.[1] === undefined) throw new Error('immudb test harness: no IMMUDB_VERSION="v..." line in scripts/immudb-install.sh');
  return match[1];
}

/** The binary's path; throws (never skips) with the command that installs it when absent. */
export function locateImmudbBinary(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['IMMUDB_BIN'];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!existsSync(fromEnv)) throw new Error(`IMMUDB_BIN=${fromEnv}: no such file`);
    return fromEnv;
  }
  const cacheRoot = env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  const path = join(cacheRoot, 'fmwk-ledger', `immudb-${pinnedImmudbVersion()}`, 'bin', 'immudb');
  if (!existsSync(path)) {
    throw new Error(`immudb server binary not found at ${path}: run \`npm run immudb:install\` (or set IMMUDB_BIN)`);
  }
  return path;
}
