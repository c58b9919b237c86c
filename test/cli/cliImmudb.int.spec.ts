// The CLI with --store immudb://... against the shared test server: every command, and the
// seed's promise that `export` + cold `verify FILE` answers as online `verify --store` does.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { bootstrap } from '../../src/cli/commands/bootstrap.js';
import { sessionStart } from '../support/fixtures.js';
import { sharedImmudb } from '../support/sharedImmudb.js';
import { tempDir } from '../support/tempDir.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const line = (x: unknown) => `${JSON.stringify(x)}\n`;

async function runBootstrap(args: string[], env: Record<string, string>) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (c) => (out += String(c)));
  try {
    const code = await bootstrap.run(args, { stdin: new PassThrough(), stdout, stderr });
    return { code, stdout: out };
  } finally {
    process.env = saved;
  }
}

describe('fmwk-ledger CLI with --store immudb://', function () {
  let env: Record<string, string>;
  let address: string;
  let dir: string;
  let remove: () => void;

  const cli = (args: string[], input?: string) => {
    const r = spawnSync(process.execPath, [MAIN, ...args], { input, encoding: 'utf8', env: { ...process.env, ...env } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stdout.split('\n').filter(Boolean) };
  };

  beforeEach(() => {
    const server = sharedImmudb();
    const database = `cli_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    // Credentials travel in the environment, never in the address.
    env = { IMMUDB_USER: 'immudb', IMMUDB_PASSWORD: 'immudb' };
    address = `immudb://${server.host}:${server.port}/${database}`;
    ({ dir, remove } = tempDir());
  });
  afterEach(() => remove());

  it('bootstrap creates the database, then is a no-op', async () => {
    expect(await runBootstrap(['--store', address], env)).to.deep.equal({ code: 0, stdout: line({ store: address, created: true }) });
    expect(await runBootstrap(['--store', address], env)).to.deep.equal({ code: 0, stdout: line({ store: address, created: false }) });
  });

  it('commands on a database that was never bootstrapped fail with the bootstrap hint', () => {
    const r = cli(['tip', '--store', address]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('LedgerConnectionError');
    expect(r.stderr).to.contain(`fmwk-ledger bootstrap --store ${address}`);
  });

  it('append, tip, read, verify --store, export + cold verify give the same answers', async () => {
    await runBootstrap(['--store', address], env);
    const appended = cli(['append', '--store', address, '-'], [0, 1, 2, 3, 4].map((i) => line(sessionStart(`cli-${i}`))).join(''));
    expect(appended.code, appended.stderr).to.equal(0);
    expect(appended.lines).to.have.length(5);
    const last = JSON.parse(appended.lines[4]!);
    expect(JSON.parse(cli(['tip', '--store', address]).stdout)).to.deep.equal({ sequence_number: 4, hash: last.hash });
    expect(JSON.parse(cli(['read', '--store', address, '4']).stdout)).to.include({ sequence: 4, hash: last.hash });

    const online = cli(['verify', '--store', address]);
    expect(online.code, online.stderr).to.equal(0);
    const file = join(dir, 'ledger.jsonl');
    const exported = cli(['export', '--store', address, '--out', file]);
    expect(exported.code, exported.stderr).to.equal(0);
    const cold = cli(['verify', file]);
    expect(cold.code, cold.stderr).to.equal(0);
    expect(cold.lines.at(-1)).to.equal(online.lines.at(-1));
    expect(JSON.parse(online.lines.at(-1)!)).to.deep.equal({ valid: true, break_at: null, count: 5 });
  });

  it('bootstrap refuses directory stores and credentials in the address', async () => {
    const dirStore = await runBootstrap(['--store', dir], env).catch((e: Error) => e);
    expect(dirStore).to.be.instanceOf(Error);
    expect((dirStore as Error).message).to.match(/must be immudb:\/\//);
    const withCredentials = await runBootstrap(['--store', address.replace('immudb://', 'immudb://immudb:topsecret@')], env).catch((e: Error) => e);
    expect(withCredentials).to.be.instanceOf(Error);
    expect((withCredentials as Error).message).not.to.contain('topsecret');
  });
});
