// The package's entry points, loaded by name as a consumer loads them (from the tarball
// installed into an empty project: test/support/packedInstall.ts), each in a fresh process: the
// core and the auditor's entry never load gRPC, immudb does, openStore reaches immudb on demand,
// deep imports are closed.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { freshImmudbConfig } from './support/immudbTestStores.js';
import { packedInstall } from './support/packedInstall.js';

/** Runs an ES module snippet in a fresh node in the consumer project; returns its last stdout line as JSON. */
async function probe(code: string, env: NodeJS.ProcessEnv = {}): Promise<any> {
  const root = (await packedInstall()).dir;
  // gRPC is CommonJS: once loaded, its files are in the CommonJS module cache.
  const source = `const cjs = (await import('node:module')).createRequire(import.meta.url)('node:module');
    const grpc = () => Object.keys(cjs._cache).some((k) => k.includes('/@grpc/'));\n${code}`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', source], { cwd: root, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${error.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!));
    });
  });
}

describe('package entry points', function () {
  this.timeout(900_000);

  it('fmwk-ledger, /verify and /testing load without gRPC; /immudb loads it', async () => {
    for (const entry of ['fmwk-ledger', 'fmwk-ledger/verify', 'fmwk-ledger/testing']) {
      expect(await probe(`await import('${entry}'); console.log(JSON.stringify(grpc()));`), entry).to.equal(false);
    }
    expect(await probe(`const m = await import('fmwk-ledger/immudb'); console.log(JSON.stringify(grpc() && typeof m.ImmudbStore));`)).to.equal('function');
  });

  it('openStore loads the immudb adapter on demand and opens an immudb:// address', async () => {
    const config = await freshImmudbConfig();
    const code = `const { openStore, Ledger } = await import('fmwk-ledger');
      const before = grpc();
      const store = await openStore('immudb://${config.host}:${config.port}/${config.database}');
      const ledger = await Ledger.open(store); const tip = await ledger.getTip(); await ledger.close();
      console.log(JSON.stringify({ before, after: grpc(), tip: typeof tip.sequence_number }));`;
    const env = { IMMUDB_USER: config.user, IMMUDB_PASSWORD: config.password.reveal(), IMMUDB_KEY_PREFIX: config.keyPrefix };
    expect(await probe(code, env)).to.deep.equal({ before: false, after: true, tip: 'number' });
  });

  it('only the four entry points (and the two examples the walkthroughs import) are importable', async () => {
    const paths = ['fmwk-ledger/dist-pack/src/ledger/ledger.js', 'fmwk-ledger/dist/src/ledger/ledger.js', 'fmwk-ledger/src/index.ts', 'fmwk-ledger/immudbRpc', 'fmwk-ledger/examples/worldline/index.js', 'fmwk-ledger/examples/demo'];
    const code = `const r = []; for (const p of ${JSON.stringify(paths)}) {
      try { await import(p); r.push('loaded'); } catch (e) { r.push(e.code); } } console.log(JSON.stringify(r));`;
    expect(await probe(code)).to.deep.equal(Array(paths.length).fill('ERR_PACKAGE_PATH_NOT_EXPORTED'));
  });
});
