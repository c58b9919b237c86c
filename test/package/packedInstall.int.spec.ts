// The package a user installs (issue 21, section 3): the tarball of `npm pack`, installed from
// it into an empty project. No engine warning at the declared engine; the tarball holds the
// library built in dist-pack/ and nothing of the working build, which the pack leaves alone;
// every entry point loads by require() from CommonJS (no top-level await anywhere in its graph)
// and by import from ESM, with the same exports; the bin runs.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packedInstall, projectSubdir, REPO, type PackedInstall } from '../support/packedInstall.js';

const run = promisify(execFile);
const ENTRY_POINTS = ['fmwk-ledger', 'fmwk-ledger/immudb', 'fmwk-ledger/verify', 'fmwk-ledger/testing', 'fmwk-ledger/examples/worldline', 'fmwk-ledger/examples/governance'];
const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { engines: { node: string }; exports: Record<string, unknown>; version: string };

/** Every package.json under node_modules (scoped and nested included). */
function installedManifests(dir: string): Array<{ name: string; version: string; engines?: { node?: string } }> {
  const found: Array<{ name: string; version: string; engines?: { node?: string } }> = [];
  const walk = (modules: string) => {
    let names: string[];
    try {
      names = readdirSync(modules);
    } catch {
      return;
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      if (name.startsWith('@')) {
        for (const inner of readdirSync(join(modules, name))) visit(join(modules, name, inner));
      } else visit(join(modules, name));
    }
  };
  const visit = (pkg: string) => {
    try {
      found.push(JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')));
    } catch {
      return;
    }
    walk(join(pkg, 'node_modules'));
  };
  walk(join(dir, 'node_modules'));
  return found;
}

describe('the installed package (npm pack, then npm install of the tarball)', function () {
  this.timeout(900_000);
  let install: PackedInstall;
  before(async () => {
    install = await packedInstall();
  });

  it('installs with no engine warning, and every installed package supports the declared engine', () => {
    expect(install.installOutput).to.not.match(/EBADENGINE|Unsupported engine/);
    // Independent of the Node running the test: each package's engines.node against the floor.
    const semver = createRequire(join(REPO, 'package.json'))('semver') as { satisfies(v: string, r: string): boolean; minVersion(r: string): { version: string } };
    const floor = semver.minVersion(manifest.engines.node).version;
    const refusing = installedManifests(install.dir).filter((m) => m.engines?.node && !semver.satisfies(floor, m.engines.node)).map((m) => `${m.name}@${m.version} wants node ${m.engines!.node}`);
    expect(refusing, `declared engine node ${manifest.engines.node}`).to.deep.equal([]);
  });

  it('the tarball holds the dist-pack build (library, explorer page, WebAssembly scanner, the two examples), no source maps, nothing of the working build', () => {
    for (const f of ['dist-pack/src/index.js', 'dist-pack/src/index.d.ts', 'dist-pack/src/cli/main.js', 'dist-pack/src/explorer/web/main.js', 'dist-pack/src/contract/wasm/chainScan.wasm', 'dist-pack/examples/worldline/index.js', 'dist-pack/examples/governance/index.js', 'README.md', 'package.json']) {
      expect(install.files, f).to.include(f);
    }
    expect(install.files.filter((f) => f.endsWith('.map') || f.startsWith('dist/') || /^dist-pack\/(test|bench)\//.test(f) || f.startsWith('dist-pack/examples/demo'))).to.deep.equal([]);
    // Every path package.json names is in the tarball.
    const targets = JSON.stringify(manifest.exports).match(/\.\/dist-pack\/[^"]+/g)!;
    for (const t of targets) expect(install.files, t).to.include(t.slice(2));
  });

  it('npm pack leaves the working build alone (dist/src, dist/test, dist/examples, dist/bench)', () => {
    for (const [file, before] of Object.entries(install.distBefore)) {
      expect(before, `${file} before the pack`).to.be.a('number');
      expect(install.distAfter[file], file).to.equal(before);
    }
  });

  it('require() of every entry point from a .cjs file, and import from an .mjs file, give the same exports', async () => {
    const dir = projectSubdir(install, 'module-systems');
    writeFileSync(join(dir, 'probe.cjs'), `const out = {};\nfor (const e of ${JSON.stringify(ENTRY_POINTS)}) out[e] = Object.keys(require(e)).sort();\nconsole.log(JSON.stringify(out));\n`);
    writeFileSync(join(dir, 'probe.mjs'), `const out = {};\nfor (const e of ${JSON.stringify(ENTRY_POINTS)}) out[e] = Object.keys(await import(e)).filter((k) => k !== 'default' && k !== 'module.exports').sort();\nconsole.log(JSON.stringify(out));\n`);
    const required = JSON.parse((await run(process.execPath, ['probe.cjs'], { cwd: dir })).stdout) as Record<string, string[]>;
    const imported = JSON.parse((await run(process.execPath, ['probe.mjs'], { cwd: dir })).stdout) as Record<string, string[]>;
    expect(Object.keys(required)).to.deep.equal(ENTRY_POINTS);
    for (const e of ENTRY_POINTS) {
      expect(required[e]!.length, e).to.be.greaterThan(0);
      expect(required[e], e).to.deep.equal(imported[e]);
    }
    expect(required['fmwk-ledger']).to.include.members(['Ledger', 'DirectoryStore', 'openStore', 'defineProjection']);
    // And a required Ledger works: append, read back, verify, on a directory store.
    writeFileSync(
      join(dir, 'use.cjs'),
      `const { Ledger, DirectoryStore } = require('fmwk-ledger');\n(async () => {\n` +
        `  const ledger = await Ledger.open(await DirectoryStore.open('./data'));\n` +
        `  await ledger.append({ event_type: 'session_start', schema_version: '1.0.0', provenance: { framework_id: 'F', pack_id: 'P', actor: 'operator' }, payload: { session_id: 's1' } });\n` +
        `  console.log(JSON.stringify(await ledger.verifyChain()));\n  await ledger.close();\n})();\n`,
    );
    expect(JSON.parse((await run(process.execPath, ['use.cjs'], { cwd: dir })).stdout)).to.deep.include({ valid: true, count: 1 });
  });

  it('the bin is the installed build and runs', async () => {
    const bin = join(install.dir, 'node_modules', '.bin', 'fmwk-ledger');
    expect((await run(bin, ['--version'], { cwd: install.dir })).stdout).to.equal(`${manifest.version}\n`);
    expect((await run(bin, ['--help'], { cwd: install.dir })).stdout).to.match(/^Commands:$/m);
  });
});
