// Hostile files and inputs around the CLI (issue 21, section 2): side files that are FIFOs,
// devices, huge or not UTF-8; export targets that are devices or FIFOs; the temporary file a
// SIGKILLed export leaves; a ledger file replaced or cut under `follow`; an immudb host that
// never answers; unbounded --workers; impossible dates; a line 100,000 deep that verifies; and
// export treating a repeated key and invalid UTF-8 alike. Devices are made here with mknod (a
// copy of /dev/zero's or /dev/null's numbers in a temporary directory): nothing of the system's
// is ever a target.
import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, truncateSync, writeFileSync, lstatSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { LedgerValidationError } from '../../src/index.js';
import { verifyFile } from '../../src/verify.js';
import { startTicks } from '../../src/stores/processLiveness.js';
import { SIDE_FILE_LIMITS } from '../../src/stores/sideFile.js';
import { generateKey } from '../../src/proofs/note.js';
import { chain, deepPayload, toFile } from '../support/hostileLedgers.js';
import { capture } from '../support/cliCapture.js';
import { tempDir } from '../support/tempDir.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = capture();
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

interface Child {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly stderr: () => string;
  readonly exited: Promise<number | NodeJS.Signals>;
}

/** `node MAIN args` as a child: stdout lines, stderr, exit. */
function run(args: string[], env: NodeJS.ProcessEnv = process.env): Child {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const lines: string[] = [];
  let partial = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code ?? -1)));
  return { child, lines, stderr: () => err, exited };
}

async function until(what: string, pred: () => boolean, child?: Child): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (pred()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}${child ? `; stderr: ${child.stderr()}` : ''}`);
}

/** A directory store of `n` events written as a conforming writer would. */
function makeStore(dir: string, payloads: readonly string[]): string {
  mkdirSync(dir);
  writeFileSync(join(dir, 'ledger.jsonl'), toFile(chain(payloads).lines));
  return dir;
}

const temps = (dir: string, name: string): string[] => readdirSync(dir).filter((f) => f.startsWith(`.${name}.`) && f.endsWith('.tmp'));

describe('hostile: files and inputs around the CLI', function () {
  let dir: string;
  let remove: () => void;
  let store: string;
  let fifo: string;
  let zero: string;
  let nul: string;
  let huge: string;
  let notUtf8: string;
  let aDir: string;
  before(() => {
    ({ dir, remove } = tempDir('fmwk-cli-files-'));
    store = makeStore(join(dir, 'store'), Array.from({ length: 5 }, (_, i) => `{"session_id":"s-${i}"}`));
    fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // Copies of /dev/zero (1,5) and /dev/null (1,3), here: the test runs as root (mknod needs it).
    zero = join(dir, 'zero');
    execFileSync('mknod', [zero, 'c', '1', '5']);
    nul = join(dir, 'null');
    execFileSync('mknod', [nul, 'c', '1', '3']);
    huge = join(dir, 'huge');
    writeFileSync(huge, Buffer.alloc(SIDE_FILE_LIMITS.config + 1, 0x20), { mode: 0o600 });
    notUtf8 = join(dir, 'not-utf8');
    writeFileSync(notUtf8, Buffer.from([0x6c, 0x6f, 0x67, 0xff, 0x0a]), { mode: 0o600 });
    aDir = join(dir, 'a-dir');
    mkdirSync(aDir);
  });
  after(() => remove());

  describe('side files: regular files only, with a size limit, a typed error naming the option and the path', () => {
    // A well-formed verifier key, so that the file read after it is the one refused.
    const LOG_KEY = generateKey('log').verifierKey;
    // [label, args with X for the hostile path, the option the error names]
    const cases = (): Array<[string, (x: string) => string[], RegExp]> => {
      const file = join(store, 'ledger.jsonl');
      const cp = join(dir, 'cp.txt');
      writeFileSync(cp, 'not a checkpoint\n');
      return [
        ['verify --checkpoint', (x) => ['verify', file, '--checkpoint', x, '--key', LOG_KEY], /--checkpoint/],
        ['verify --key', (x) => ['verify', file, '--checkpoint', cp, '--key', x], /--key/],
        ['verify --signers', (x) => ['verify', file, '--signers', x], /--signers/],
        ['verify --store --signers', (x) => ['verify', '--store', store, '--signers', x], /--signers/],
        ['serve --key', (x) => ['serve', '--store', store, '--key', x], /--key/],
        ['checkpoint --key', (x) => ['checkpoint', '--store', store, '--key', x], /--key/],
        ['witness --checkpoint', (x) => ['witness', '--checkpoint', x, '--log-key', LOG_KEY, '--key', x, '--state', aDir, '--store', store], /--checkpoint/],
        ['witness --log-key', (x) => ['witness', '--checkpoint', cp, '--log-key', x, '--key', x, '--state', aDir, '--store', store], /--log-key/],
        ['witness --key', (x) => ['witness', '--checkpoint', cp, '--log-key', LOG_KEY, '--key', x, '--state', aDir, '--store', store], /--key/],
        ['tip --config (directory store)', (x) => ['tip', '--store', store, '--config', x], /config file/],
        ['read --config (its "types")', (x) => ['read', '--store', store, '0', '--config', x], /--config/],
        ['tip --config (immudb)', (x) => ['tip', '--store', 'immudb://127.0.0.1:1/ledger', '--config', x], /config file/],
      ];
    };
    const hostile = (): Array<[string, string, RegExp]> => [
      ['a FIFO (nobody writes: would hang)', fifo, /is not a regular file \(a FIFO\)/],
      ['a copy of /dev/zero (would be read without end)', zero, /is not a regular file \(a character device\)/],
      ['a directory', aDir, /is not a regular file \(a directory\)/],
      ['a file over the limit', huge, /over the \d+-byte limit/],
      ['a file that is not UTF-8', notUtf8, /is not valid UTF-8/],
    ];

    it('every flag that names a file to read refuses each hostile file: exit 2, LedgerFileError, nothing written', async () => {
      const before = readFileSync(join(store, 'ledger.jsonl'));
      let n = 0;
      for (const [label, args, option] of cases()) {
        for (const [what, path, why] of hostile()) {
          // A key given literally is not a file; a non-UTF-8 key file still is one.
          const r = await cli(args(path));
          const context = `${label} given ${what}: ${r.err}`;
          expect(r.code, context).to.equal(2);
          expect(r.err, context).to.match(/LedgerFileError/).and.match(option).and.match(why);
          expect(r.err, context).to.include(JSON.stringify(path));
          n++;
        }
      }
      expect(readFileSync(join(store, 'ledger.jsonl')).equals(before)).to.equal(true);
      expect(readdirSync(aDir), 'the witness state stays empty').to.deep.equal([]);
      expect(n).to.equal(60);
    });

    it('a key file 1 byte over its limit is refused; at the limit it is read (and judged as a key)', async () => {
      const over = join(dir, 'key-over');
      writeFileSync(over, Buffer.alloc(SIDE_FILE_LIMITS.key + 1, 0x61), { mode: 0o600 });
      const r = await cli(['checkpoint', '--store', store, '--key', over]);
      expect(r.code).to.equal(2);
      expect(r.err).to.match(/LedgerFileError: --key .*over the 65536-byte limit/);
      const at = join(dir, 'key-at');
      writeFileSync(at, Buffer.alloc(SIDE_FILE_LIMITS.key, 0x61), { mode: 0o600 });
      const r2 = await cli(['checkpoint', '--store', store, '--key', at]);
      expect(r2.code).to.equal(2);
      expect(r2.err).to.not.match(/LedgerFileError/); // read, then refused as not a key
    });

    it('a path of 5,000 characters is shown cut to its ends in the message', async () => {
      const long = join(dir, 'x'.repeat(200), ...Array.from({ length: 24 }, () => 'y'.repeat(200)));
      const r = await cli(['verify', join(store, 'ledger.jsonl'), '--signers', long]);
      expect(r.code).to.equal(2);
      expect(r.err).to.match(/LedgerFileError: --signers ".*…\(\d+ characters\)….*": cannot be opened/);
      expect(r.err.length).to.be.below(500);
    });
  });

  describe('export --out', () => {
    it('refuses a FIFO, a character device (a copy of /dev/null) and a directory: exit 2, the node untouched, no temp file', async () => {
      for (const [target, kind] of [
        [fifo, 'a FIFO'],
        [nul, 'a character device'],
        [aDir, 'a directory'],
      ] as const) {
        const before = lstatSync(target);
        const r = await cli(['export', '--store', store, '--out', target]);
        expect(r.code, r.err).to.equal(2);
        expect(r.err).to.include(`LedgerFileError: --out ${JSON.stringify(target)}: exists and is ${kind}`);
        const after = lstatSync(target);
        expect([after.mode, after.rdev, after.ino]).to.deep.equal([before.mode, before.rdev, before.ino]);
        expect(temps(dir, target.slice(dir.length + 1))).to.deep.equal([]);
      }
    });

    it('a symbolic link to a device is replaced (never followed): the device stays a device', async () => {
      const link = join(dir, 'link-to-null');
      symlinkSync(nul, link);
      const r = await cli(['export', '--store', store, '--out', link]);
      expect(r.code, r.err).to.equal(0);
      expect(lstatSync(link).isFile()).to.equal(true);
      expect(statSync(nul).isCharacterDevice()).to.equal(true);
      expect(readFileSync(link).equals(readFileSync(join(store, 'ledger.jsonl')))).to.equal(true);
    });

    it('the temporary file of an export killed by SIGKILL is removed by the next export to the same file; a live writer\'s is kept', async () => {
      // Large enough (~5 MB) that the temp file exists for a while before the rename.
      const big = makeStore(join(dir, 'big'), Array.from({ length: 12_000 }, (_, i) => `{"pad":"${'e'.repeat(300)}","session_id":"x-${i}"}`));
      const out = join(dir, 'out.jsonl');
      let left: string[] = [];
      for (let attempt = 0; attempt < 10 && left.length === 0; attempt++) {
        const c = run(['export', '--store', big, '--out', out]);
        await until('the export\'s temp file', () => temps(dir, 'out.jsonl').length > 0 || c.child.exitCode !== null, c);
        c.child.kill('SIGKILL');
        await c.exited;
        left = temps(dir, 'out.jsonl');
      }
      expect(left, 'a SIGKILLed export left its temp file').to.have.length(1);
      expect(existsSync(out)).to.equal(false);
      // A temp file of a live writer of the same target (another process that still runs): never removed.
      const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      try {
        const tag = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
        const ticks = startTicks(other.pid!);
        expect(ticks, 'start ticks of a live process').to.be.a('string');
        const live = `.out.jsonl.${tag}.${other.pid}.${ticks}.${randomBytes(16).toString('hex')}.tmp`;
        writeFileSync(join(dir, live), 'a live writer\'s partial file');
        // Its pid with other start ticks: a reused pid, that writer gone.
        writeFileSync(join(dir, `.out.jsonl.${tag}.${other.pid}.1.${randomBytes(16).toString('hex')}.tmp`), 'x');
        // Another host's (its tag differs): its processes cannot be judged here, kept.
        const foreign = `.out.jsonl.00000000.${other.pid}.1.${randomBytes(16).toString('hex')}.tmp`;
        writeFileSync(join(dir, foreign), 'x');
        const r = await cli(['export', '--store', big, '--out', out]);
        expect(r.code, r.err).to.equal(0);
        expect(readFileSync(out).equals(readFileSync(join(big, 'ledger.jsonl')))).to.equal(true);
        expect(temps(dir, 'out.jsonl').sort()).to.deep.equal([live, tag === '00000000' ? live : foreign].filter((v, i, a) => a.indexOf(v) === i).sort());
      } finally {
        other.kill('SIGKILL');
      }
    });

    it('a line with a repeated key and a line that is not UTF-8 are exported alike: exit 0, the stored bytes, and verify finds both', async () => {
      const lines = chain(Array.from({ length: 5 }, (_, i) => `{"session_id":"s-${i}"}`)).lines.map((l) => Buffer.from(l, 'utf8'));
      const variants: Array<[string, Buffer, RegExp]> = [
        ['a repeated key', Buffer.from(lines[2]!.toString('utf8').replace('"session_id":"s-2"', '"session_id":"s-2","session_id":"s-2"'), 'utf8'), /duplicate key/],
        ['bytes that are not UTF-8', Buffer.from(lines[2]!.toString('latin1').replace('"s-2"', '"s-\xff"'), 'latin1'), /not valid UTF-8/],
      ];
      for (const [i, [what, bad, why]] of variants.entries()) {
        const s = join(dir, `alike-${i}`);
        mkdirSync(s);
        const bytes = Buffer.concat([lines[0]!, lines[1]!, bad, lines[3]!, lines[4]!].flatMap((l) => [l, Buffer.from('\n')]));
        writeFileSync(join(s, 'ledger.jsonl'), bytes);
        const out = join(dir, `alike-${i}.jsonl`);
        const r = await cli(['export', '--store', s, '--out', out]);
        expect(r.code, `${what}: ${r.err}`).to.equal(0);
        expect(readFileSync(out).equals(bytes), what).to.equal(true);
        const v = await cli(['verify', out]);
        expect(v.code, what).to.equal(1);
        expect(JSON.parse(v.out.trim().split('\n').at(-1)!)).to.deep.equal({ valid: false, break_at: 2, count: 2 });
        expect(v.err).to.match(why);
      }
    });
  });

  describe('follow', () => {
    it('ledger.jsonl replaced by a rename (the same bytes, a new inode): exit 2 naming the replacement, nothing more printed', async () => {
      const s = makeStore(join(dir, 'follow-replaced'), Array.from({ length: 5 }, (_, i) => `{"session_id":"s-${i}"}`));
      const c = run(['follow', '--store', s, '--poll', '20']);
      await until('5 lines', () => c.lines.length === 5, c);
      copyFileSync(join(s, 'ledger.jsonl'), join(s, 'copy'));
      renameSync(join(s, 'copy'), join(s, 'ledger.jsonl'));
      expect(await c.exited, c.stderr()).to.equal(2);
      expect(c.stderr()).to.match(/LedgerConnectionError: .*ledger\.jsonl was replaced by another file/);
      expect(c.lines).to.have.length(5);
    });

    it('whole lines cut from ledger.jsonl: exit 1 naming the first sequence gone', async () => {
      const s = makeStore(join(dir, 'follow-cut'), Array.from({ length: 5 }, (_, i) => `{"session_id":"s-${i}"}`));
      const c = run(['follow', '--store', s, '--poll', '20']);
      await until('5 lines', () => c.lines.length === 5, c);
      const text = readFileSync(join(s, 'ledger.jsonl'), 'utf8');
      truncateSync(join(s, 'ledger.jsonl'), Buffer.byteLength(text.split('\n').slice(0, 3).join('\n') + '\n'));
      expect(await c.exited, c.stderr()).to.equal(1);
      expect(c.stderr(), c.stderr()).to.match(/LedgerCorruptionError: sequence 3: .*shrank/);
    });
  });

  describe('a line 100,000 deep that verifies', () => {
    it('is printed by read, query and follow byte for byte, as stored', async () => {
      const s = makeStore(join(dir, 'deep'), ['{"session_id":"s"}', deepPayload(100_000), `{"d":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)},"session_id":"o"}`]);
      const stored = readFileSync(join(s, 'ledger.jsonl'), 'utf8');
      expect(await verifyFile(join(s, 'ledger.jsonl'))).to.deep.equal({ valid: true, break_at: null, count: 3 });
      for (const seq of [1, 2]) {
        const r = await cli(['read', '--store', s, String(seq)]);
        expect(r.code, r.err.slice(0, 300)).to.equal(0);
        expect(r.out).to.equal(`${stored.split('\n')[seq]}\n`);
      }
      const q = await cli(['query', '--store', s]);
      expect(q.code, q.err.slice(0, 300)).to.equal(0);
      expect(q.out).to.equal(stored);
      const c = run(['follow', '--store', s]);
      await until('3 lines', () => c.lines.length === 3 || c.child.exitCode !== null, c);
      c.child.kill('SIGTERM');
      expect(await c.exited, c.stderr().slice(0, 300)).to.equal(0);
      expect(`${c.lines.join('\n')}\n`).to.equal(stored);
    });

    it('an error about a value 100,000 deep names its path in at most 200 characters', async () => {
      // An unsafe integer at the bottom: the line verifies (numbers are hashed as written), reading it cannot return it exactly.
      const s = makeStore(join(dir, 'deep-unsafe'), ['{"session_id":"s"}', `{"d":${'['.repeat(100_000)}9007199254740993${']'.repeat(100_000)},"session_id":"u"}`]);
      expect((await verifyFile(join(s, 'ledger.jsonl'))).valid).to.equal(true);
      const r = await cli(['read', '--store', s, '1']);
      expect(r.code).to.equal(2);
      expect(r.err).to.match(/LedgerUnreadableValueError: sequence 1: payload\.d\[0\].*…\(\d+ characters\)….*\[0\]: /);
      expect(r.err.length).to.be.below(600);
    });
  });

  describe('bounded arguments', () => {
    it('--workers above 64 is refused naming the flag (100,000 once ran past 120 s at 12 GB); 64 is accepted', async () => {
      const file = join(store, 'ledger.jsonl');
      for (const n of ['65', '100000']) {
        const r = await cli(['verify', file, '--workers', n]);
        expect(r.code).to.equal(2);
        expect(r.err).to.include(`--workers must be an integer from 1 to 64, got "${n}"`);
      }
      expect((await cli(['verify', file, '--workers', '64'])).code).to.equal(0);
      let error: unknown;
      await verifyFile(file, { workers: 100_000 }).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(LedgerValidationError).with.property('path', 'workers');
    });

    it('query --since/--until refuse a day that does not exist (2020-02-30, 2021-02-29, 2020-04-31); 2020-02-29 is a day', async () => {
      for (const day of ['2020-02-30', '2021-02-29', '2020-04-31', '2020-01-00', '1900-02-29']) {
        for (const flag of ['--until', '--since']) {
          const r = await cli(['query', '--store', store, flag, day]);
          expect(r.code, `${flag} ${day}`).to.equal(2);
          expect(r.err).to.include(`${flag}: expected an ISO-8601 time`).and.include(day);
        }
      }
      for (const day of ['2020-02-29', '2000-02-29T12:00:00Z']) expect((await cli(['query', '--store', store, '--until', day])).code, day).to.equal(0);
    });
  });

  describe('immudb: a host where nothing answers', () => {
    let server: Server;
    let port: number;
    let connections = 0;
    const sockets: Socket[] = [];
    before(async () => {
      // Accepts TCP and never speaks HTTP/2: gRPC waits for a handshake that never comes.
      server = createServer((s) => (connections++, sockets.push(s)));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
    });
    after(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    });

    it('tip fails at the connect deadline (IMMUDB_CONNECT_TIMEOUT_MS) with LedgerConnectionError naming HOST:PORT, not the 30 s call deadline', async () => {
      const c = run(['tip', '--store', `immudb://127.0.0.1:${port}/ledger`], { ...process.env, IMMUDB_CONNECT_TIMEOUT_MS: '300' });
      expect(await c.exited).to.equal(2);
      expect(c.stderr()).to.include(`LedgerConnectionError: immudb://127.0.0.1:${port}/ledger: cannot reach immudb at 127.0.0.1:${port}`);
      expect(c.stderr()).to.include('not connected within 300 ms (connect timeout)').and.include('IMMUDB_CONNECT_TIMEOUT_MS');
      expect(connections, 'the TCP connection was made: the deadline is the handshake\'s').to.be.above(0);
    });

    it('a connect timeout that is not 1..600000 ms is refused naming where it came from', async () => {
      for (const bad of ['0', '-1', '1.5', 'soon', '600001']) {
        const c = run(['tip', '--store', `immudb://127.0.0.1:${port}/ledger`], { ...process.env, IMMUDB_CONNECT_TIMEOUT_MS: bad });
        expect(await c.exited, bad).to.equal(2);
        expect(c.stderr(), bad).to.include(`IMMUDB_CONNECT_TIMEOUT_MS: ${JSON.stringify(bad)} is not a timeout in milliseconds`);
      }
      const config = join(dir, 'timeout.json');
      writeFileSync(config, JSON.stringify({ immudb: { connectTimeoutMs: 250 } }));
      chmodSync(config, 0o600);
      const c = run(['tip', '--store', `immudb://127.0.0.1:${port}/ledger`, '--config', config], { ...process.env, IMMUDB_CONNECT_TIMEOUT_MS: '' });
      expect(await c.exited).to.equal(2);
      expect(c.stderr()).to.include('not connected within 250 ms');
    });
  });
});
