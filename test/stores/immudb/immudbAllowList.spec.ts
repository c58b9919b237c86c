// The adapter's surface: which immudb RPCs it can reach, and that nothing that deletes or
// rewrites data is among them, nor anywhere in the library's source.

import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMMUDB_ALLOWED_METHODS, isAllowedImmudbMethod, ImmudbSession, loadImmuService } from '../../../src/stores/immudb/immudbRpc.js';
import { ImmudbStore } from '../../../src/stores/immudb/immudbStore.js';

/** Administrative calls of immudb 1.11.1 (and the seed's names for them) that remove or reorganise data. */
const FORBIDDEN = [
  'DeleteDatabase', 'DropDatabase', 'DatabaseDelete', 'UnloadDatabase', 'TruncateDatabase', 'CompactIndex',
  'FlushIndex', 'CleanIndex', 'ChangePermission', 'UpdateDatabase', 'ReplicateTx', 'StreamReplicateTx',
];

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!readdirSync(dir).includes('package.json')) dir = dirname(dir);
  return dir;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : /\.(ts|proto)$/.test(name) ? [path] : [];
  });
}

/** Source text without comments, so docs may name what the code must not call. */
const codeOf = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

describe('immudb adapter surface (allow-list)', () => {
  it('the allow-list is exactly the calls the adapter needs', () => {
    expect([...IMMUDB_ALLOWED_METHODS].sort()).to.deep.equal(
      ['CloseSession', 'CreateDatabaseV2', 'CurrentState', 'ExecAll', 'GetDatabaseSettingsV2', 'History', 'KeepAlive', 'OpenSession', 'Scan', 'UpdateDatabaseV2', 'VerifiableGet', 'VerifiableTxById'],
    );
    for (const name of FORBIDDEN) expect(isAllowedImmudbMethod(name), name).to.equal(false);
  });

  it('the shipped .proto declares exactly the allow-listed methods', () => {
    expect(Object.keys(loadImmuService()).sort()).to.deep.equal([...IMMUDB_ALLOWED_METHODS].sort());
  });

  it('UpdateDatabaseV2 can carry replication settings only (no truncation, retention or other setting is declared)', () => {
    const proto = codeOf(readFileSync(join(repoRoot(), 'proto', 'immudb_v1.11.1_subset.proto'), 'utf8'));
    const settings = /message DatabaseNullableSettings \{([^}]*)\}/.exec(proto)?.[1] ?? '';
    expect(settings.trim().split('\n').map((l) => l.trim())).to.deep.equal(['ReplicationNullableSettings replicationSettings = 2;']);
  });

  it('the session object offers one method per allowed data call and nothing else', () => {
    const methods = Object.getOwnPropertyNames(ImmudbSession.prototype).filter((n) => n !== 'constructor').sort();
    expect(methods).to.deep.equal(['close', 'createDatabaseV2', 'currentState', 'execAll', 'getDatabaseSettingsV2', 'history', 'scan', 'updateDatabaseV2', 'verifiableGet', 'verifiableTxById']);
  });

  it('the store offers the LedgerStore port and nothing else', () => {
    const methods = Object.getOwnPropertyNames(ImmudbStore.prototype).filter((n) => n !== 'constructor').sort();
    // The port's methods, its optional ones included (`watch`: other clients append too; `openMerkleLog`: the
    // tree beside the events), and `checkpointKeeper`: where the latest signed checkpoint is kept.
    expect(methods).to.deep.equal(['append', 'checkpointKeeper', 'close', 'openMerkleLog', 'readLine', 'scanLines', 'scanLinesBackward', 'tip', 'watch']);
    const statics = Object.getOwnPropertyNames(ImmudbStore).filter((n) => !['length', 'name', 'prototype'].includes(n)).sort();
    expect(statics).to.deep.equal(['open', 'openAddress']);
  });

  it('no library source names a forbidden call, loads immudb-node, or touches gRPC outside immudbRpc.ts', () => {
    const root = repoRoot();
    const files = [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'proto'))];
    expect(files.length).to.be.greaterThan(5);
    for (const file of files) {
      const name = relative(root, file);
      const code = codeOf(readFileSync(file, 'utf8'));
      for (const forbidden of FORBIDDEN) expect(code, `${name} mentions ${forbidden}`).not.to.match(new RegExp(`\\b${forbidden}\\b`, 'i'));
      expect(code, `${name} loads immudb-node`).not.to.contain('immudb-node');
      if (name !== join('src', 'stores', 'immudb', 'immudbRpc.ts')) {
        expect(code, `${name} imports @grpc`).not.to.match(/from '@grpc\//);
      }
    }
  });
});
