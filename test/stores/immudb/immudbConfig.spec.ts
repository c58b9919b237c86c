import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { LedgerConnectionError } from '../../../src/index.js';
import { formatImmudbAddress, parseImmudbAddress, resolveImmudbConfig } from '../../../src/stores/immudb/immudbConfig.js';
import { KeyLayout } from '../../../src/stores/immudb/keyLayout.js';
import { Secret } from '../../../src/stores/immudb/secret.js';
import { tempDir } from '../../support/tempDir.js';

const cleanups: Array<() => void> = [];

function configFile(content: unknown): string {
  const { dir, remove } = tempDir('fmwk-ledger-config-');
  cleanups.push(remove);
  const path = join(dir, 'config.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('immudb configuration', () => {
  after(() => cleanups.splice(0).forEach((remove) => remove()));

  it('defaults to the documented local-development values', () => {
    const c = resolveImmudbConfig({ env: {} });
    expect({ ...c, password: c.password.reveal() }).to.deep.equal({
      host: '127.0.0.1', port: 3322, database: 'ledger', user: 'immudb', password: 'immudb', keyPrefix: 'event/',
    });
  });

  it('layers config file < environment < address', () => {
    const file = configFile({ immudb: { host: 'file-host', port: 1111, database: 'filedb', user: 'file-user', password: 'file-pw' } });
    const fromFile = resolveImmudbConfig({ env: { FMWK_LEDGER_CONFIG: file } });
    expect([fromFile.host, fromFile.port, fromFile.database, fromFile.user, fromFile.password.reveal()]).to.deep.equal(['file-host', 1111, 'filedb', 'file-user', 'file-pw']);
    const withEnv = resolveImmudbConfig({ configFile: file, env: { IMMUDB_HOST: 'env-host', IMMUDB_PORT: '2222', IMMUDB_PASSWORD: 'env-pw' } });
    expect([withEnv.host, withEnv.port, withEnv.database, withEnv.password.reveal()]).to.deep.equal(['env-host', 2222, 'filedb', 'env-pw']);
    const withAddress = resolveImmudbConfig({ configFile: file, address: 'immudb://addr-host:3333/addrdb', env: { IMMUDB_HOST: 'env-host' } });
    expect([withAddress.host, withAddress.port, withAddress.database, withAddress.user]).to.deep.equal(['addr-host', 3333, 'addrdb', 'file-user']);
  });

  it('parses and formats immudb:// addresses', () => {
    expect(parseImmudbAddress('immudb://db.example:4000/prod_ledger')).to.deep.equal({ host: 'db.example', port: 4000, database: 'prod_ledger' });
    expect(parseImmudbAddress('immudb://localhost')).to.deep.equal({ host: 'localhost', port: 3322, database: 'ledger' });
    expect(formatImmudbAddress({ host: '::1', port: 3322, database: 'ledger' })).to.equal('immudb://[::1]:3322/ledger');
    expect(parseImmudbAddress('immudb://[::1]:3322/ledger').host).to.equal('::1');
  });

  it('rejects bad addresses naming the field and value', () => {
    expect(() => parseImmudbAddress('immudb://h:0/ledger')).to.throw(LedgerConnectionError, /store address port: "0"/);
    expect(() => parseImmudbAddress('immudb://h:3322/Bad-Name')).to.throw(LedgerConnectionError, /"Bad-Name" is not a valid immudb database name/);
    expect(() => resolveImmudbConfig({ env: { IMMUDB_PORT: 'x' } })).to.throw(LedgerConnectionError, /IMMUDB_PORT: "x"/);
  });

  it('refuses credentials in the address without echoing them', () => {
    const e = (() => {
      try {
        parseImmudbAddress('immudb://admin:hunter2@h:3322/ledger');
      } catch (err) {
        return err as Error;
      }
      return undefined;
    })();
    expect(e).to.be.instanceOf(LedgerConnectionError);
    expect(e!.message).not.to.contain('hunter2');
  });

  it('never prints a password: String, JSON, util.inspect, config file errors', () => {
    const c = resolveImmudbConfig({ env: { IMMUDB_PASSWORD: 's3cret-value' } });
    for (const shown of [String(c.password), JSON.stringify(c), inspect(c, { depth: 5 }), `${c.password}`]) {
      expect(shown).not.to.contain('s3cret-value');
    }
    expect(new Secret('x').reveal()).to.equal('x');
    const broken = configFile('{"immudb": {"password": "s3cret-value"');
    expect(() => resolveImmudbConfig({ configFile: broken, env: {} })).to.throw(LedgerConnectionError, /is not valid JSON/).and.satisfy((e: Error) => !e.message.includes('s3cret'));
    const wrongType = configFile({ immudb: { password: 12345678 } });
    expect(() => resolveImmudbConfig({ configFile: wrongType, env: {} })).to.throw(/immudb.password must be a string, got number/).and.satisfy((e: Error) => !e.message.includes('12345678'));
  });
});

describe('immudb key layout', () => {
  const layout = new KeyLayout('event/');
  it('zero-pads the sequence to 20 digits so key order is sequence order', () => {
    expect(layout.keyOf(42).toString()).to.equal('event/00000000000000000042');
    expect(Buffer.compare(layout.keyOf(9), layout.keyOf(10))).to.equal(-1);
    expect(layout.sequenceOf(layout.keyOf(Number.MAX_SAFE_INTEGER))).to.equal(Number.MAX_SAFE_INTEGER);
  });
  it('recognises only its own keys', () => {
    expect(layout.sequenceOf(Buffer.from('event/5'))).to.equal(undefined);
    expect(layout.sequenceOf(Buffer.from('other/00000000000000000001'))).to.equal(undefined);
    expect(layout.sequenceOf(Buffer.from('event/0000000000000000000x'))).to.equal(undefined);
    expect(() => layout.keyOf(-1)).to.throw(RangeError, /sequence: -1/);
  });
});
