// The CLI's framework as a user meets it, in real processes: --version, --help generated from the
// parser's own definitions, -1 as a value, --types with a TypeScript module, summaries, and the
// progress bar on a pseudo-terminal (python3's pty) but never in a pipe.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCommands } from '../../src/cli/main.js';
import { parseCommandArgs } from '../../src/cli/args.js';
import { UsageError } from '../../src/cli/command.js';
import { provenance, sessionStart } from '../support/fixtures.js';
import { tempDir } from '../support/tempDir.js';

// Loaded as the CLI loads them, one module each (main.ts imports none statically).
const COMMANDS = await loadCommands();

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const PACKAGE = fileURLToPath(new URL('../../../package.json', import.meta.url));

function cli(args: string[], input?: string, env?: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { input, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stdout.split('\n').filter(Boolean) };
}

const line = (x: unknown) => `${JSON.stringify(x)}\n`;
const events = (n: number, prefix = 's') => Array.from({ length: n }, (_, i) => line(sessionStart(`${prefix}${i}`))).join('');

/** The long option names listed under "Options:" of a help text. */
function listedOptions(help: string): string[] {
  const section = help.split('\nOptions:\n')[1]!.split('\n\n')[0]!;
  return [...section.matchAll(/^ {2}(?:-\w, )?--([a-z][a-z-]*)/gm)].map((m) => m[1]!).sort();
}

// Runs argv with stderr on a pseudo-terminal (stdout to a file); prints what the terminal showed.
const PTY_DRIVER = `
import json, os, pty, select, subprocess, sys
out_path, argv = sys.argv[1], sys.argv[2:]
master, slave = pty.openpty()
with open(out_path, 'wb') as out:
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=slave)
os.close(slave)
seen = b''
while True:
    ready, _, _ = select.select([master], [], [], 0.1)
    if ready:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    elif p.poll() is not None:
        break
print(json.dumps({"code": p.wait(), "terminal": seen.decode('utf8', 'replace')}))
`;

function onTerminal(dir: string, args: string[]) {
  const out = join(dir, `pty-stdout-${Date.now()}`);
  const r = spawnSync('python3', ['-c', PTY_DRIVER, out, process.execPath, MAIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).to.equal(0);
  const { code, terminal } = JSON.parse(r.stdout) as { code: number; terminal: string };
  return { code, terminal, stdout: readFileSync(out, 'utf8') };
}

describe('fmwk-ledger CLI framework', function () {
  let dir: string;
  let remove: () => void;
  beforeEach(() => ({ dir, remove } = tempDir()));
  afterEach(() => remove());

  it('--version prints the version of package.json', () => {
    const version = (JSON.parse(readFileSync(PACKAGE, 'utf8')) as { version: string }).version;
    for (const flag of ['--version', '-V']) {
      const r = cli([flag]);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.equal(`${version}\n`);
    }
  });

  it('a command name is looked up among the commands only: Object.prototype names are unknown commands', () => {
    for (const name of ['constructor', '__proto__', 'hasOwnProperty', 'toString']) {
      const r = cli([name]);
      expect(r.code, name).to.equal(2);
      expect(r.stderr, name).to.equal(`fmwk-ledger: unknown command ${JSON.stringify(name)} (see fmwk-ledger --help)\n`);
    }
    expect(cli(['help', 'constructor']).stdout).to.match(/^Commands:$/m);
  });

  it('the --help of every command lists exactly the options its parser accepts', () => {
    for (const c of COMMANDS) {
      const listed = listedOptions(c.help);
      expect(listed, c.name).to.deep.equal([...Object.keys(c.options), 'help'].sort());
      for (const name of listed.filter((n) => n !== 'help')) {
        const args = [`--${name}`, ...(c.options[name]!.value ? ['7'] : [])];
        const parsed = parseCommandArgs(args, c);
        expect(c.options[name]!.value ? parsed.values[name] : parsed.flags[name], `${c.name} --${name}`).to.equal(c.options[name]!.value ? '7' : true);
      }
      expect(() => parseCommandArgs(['--not-an-option'], c), c.name).to.throw(UsageError, "unknown option '--not-an-option'");
    }
    // And the process prints that same text.
    for (const name of ['append', 'verify', 'snapshot']) {
      const r = cli([name, '--help']);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.equal(`${COMMANDS.find((c) => c.name === name)!.help}\n`);
    }
  });

  it('-1 is taken as a value and refused by name, saying what is expected; nothing is created', () => {
    const store = join(dir, 'big');
    const read = cli(['read', '--store', store, '-1']);
    expect(read.code).to.equal(2);
    expect(read.stderr).to.equal('fmwk-ledger read: SEQ (the sequence number of an event, 0 for the first): expected a non-negative integer, got "-1" (see fmwk-ledger read --help)\n');
    const from = cli(['verify', '--store', store, '--from', '-1']);
    expect(from.code).to.equal(2);
    expect(from.stderr).to.equal('fmwk-ledger verify: --from: expected a non-negative integer, got "-1" (see fmwk-ledger verify --help)\n');
    const workers = cli(['verify', join(dir, 'x.jsonl'), '--workers', '1.5']);
    expect(workers.stderr).to.contain('--workers: expected a non-negative integer, got "1.5"');
    expect(existsSync(store)).to.equal(false);
  });

  it('--types registers a TypeScript module\'s types for append, read and replay (also from the config file); nothing written beside it', () => {
    const store = join(dir, 'store');
    const moduleDir = join(dir, 'types');
    mkdirSync(moduleDir);
    const ioTs = createRequire(import.meta.url).resolve('io-ts');
    writeFileSync(
      join(moduleDir, 'invoices.ts'),
      `import * as t from ${JSON.stringify(ioTs)};\n` +
        `import type { EventTypeRegistry } from 'fmwk-ledger';\n` +
        `const InvoicePaid = t.type({ invoice_id: t.string, amount: t.number }, 'InvoicePaid');\n` +
        `export default (registry: EventTypeRegistry): void => { registry.register('invoice_paid', InvoicePaid); };\n`,
    );
    const invoice = (payload: unknown) => line({ event_type: 'invoice_paid', schema_version: '1.0.0', provenance, payload });
    const types = join(moduleDir, 'invoices.ts');

    const unknown = cli(['append', '--store', store], invoice({ invoice_id: 'i1', amount: 5 }));
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.contain('line 1: event_type: unknown event type "invoice_paid": register it with --types MODULE');

    const ok = cli(['append', '--store', store, '--types', types], invoice({ invoice_id: 'i1', amount: 5 }));
    expect(ok.code, ok.stderr).to.equal(0);
    const bad = cli(['append', '--store', store, '--types', types], invoice({ invoice_id: 'i2', amount: 'five' }));
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/line 1: payload\.amount: .*"five"/);

    // "types" in the config file, relative to it.
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ types: './types/invoices.ts' }));
    const viaConfig = cli(['append', '--store', store, '--config', config], invoice({ invoice_id: 'i3', amount: 7 }));
    expect(viaConfig.code, viaConfig.stderr).to.equal(0);

    const read = cli(['read', '--store', store, '--types', types, '1']);
    expect(read.code, read.stderr).to.equal(0);
    expect(JSON.parse(read.stdout)).to.deep.include({ event_type: 'invoice_paid', payload: { invoice_id: 'i3', amount: 7 } });

    writeFileSync(join(dir, 'p.mjs'), `export default [{ name: 'paid', version: 1, initial: 0, apply: (n, e) => e.event_type === 'invoice_paid' ? n + e.payload.amount : n }];\n`);
    const replayed = cli(['replay', '--store', store, '--projections', join(dir, 'p.mjs'), '--types', types]);
    expect(replayed.code, replayed.stderr).to.equal(0);
    expect(JSON.parse(replayed.lines.at(-1)!)).to.deep.equal({ sequence: 1, states: { paid: 12 } });

    const notAModule = cli(['append', '--store', store, '--types', join(dir, 'p.mjs')], invoice({ invoice_id: 'i4', amount: 1 }));
    expect(notAModule.code).to.equal(2);
    expect(notAModule.stderr).to.contain('entry 0 must be [type, codec]');
    expect(readdirSync(moduleDir)).to.deep.equal(['invoices.ts']);
  });

  it('snapshot --at beyond the record search says so in the user\'s words, with the flag that changes it', () => {
    const store = join(dir, 'store');
    expect(cli(['append', '--store', store, '--quiet'], events(5)).code).to.equal(0);
    writeFileSync(join(dir, 'p.mjs'), `export default [{ name: 'n', version: 1, initial: 0, apply: (n) => n + 1 }];\n`);
    const far = cli(['snapshot', '--store', store, '--projections', join(dir, 'p.mjs'), '--at', '1', '--record-search', '2']);
    expect(far.code).to.equal(2);
    expect(far.stderr).to.contain('--at 1: 1 is more than 2 events before the tip');
    expect(far.stderr).to.contain('raise the bound with --record-search N (and pass the same --record-search to replay)');
    expect(far.stderr).not.to.contain('recordSearchLimit');
    const near = cli(['snapshot', '--store', store, '--projections', join(dir, 'p.mjs'), '--at', '1', '--record-search', '10']);
    expect(near.code, near.stderr).to.equal(0);
    const replayed = cli(['replay', '--store', store, '--projections', join(dir, 'p.mjs'), '--to', '3', '--record-search', '10']);
    expect(JSON.parse(replayed.lines.at(-1)!)).to.deep.equal({ sequence: 3, states: { n: 4 } });
  });

  it('a pipe run shows no progress, stdout is clean JSON, stderr ends with the summary lines; --quiet and --json', () => {
    const store = join(dir, 'store');
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, events(3));
    const appended = cli(['append', '--store', store, input]);
    expect(appended.code, appended.stderr).to.equal(0);
    expect(appended.lines.map((l) => JSON.parse(l).sequence)).to.deep.equal([0, 1, 2]);
    expect(appended.stderr).to.match(/^fmwk-ledger append: appended 3 events in \d+\.\d\d s \(\d+ events\/s\)\n$/);

    const out = join(dir, 'export.jsonl');
    const exported = cli(['export', '--store', store, '--out', out]);
    expect(exported.code, exported.stderr).to.equal(0);
    expect(exported.stderr).to.equal(`fmwk-ledger export: exported 3 events, ${statSync(out).size} bytes to ${out}\n`);

    // One event is one event, not "1 events".
    const single = join(dir, 'single');
    const one = cli(['append', '--store', single, '-'], events(1));
    expect(one.stderr).to.match(/^fmwk-ledger append: appended 1 event in \d+\.\d\d s \(\d+ events\/s\)\n$/);
    expect(cli(['export', '--store', single, '--out', join(dir, 'one.jsonl')]).stderr).to.match(/^fmwk-ledger export: exported 1 event, \d+ bytes to /);

    const toStdout = cli(['export', '--store', store, '--quiet']);
    expect(toStdout.stderr).to.equal('');
    expect(toStdout.lines.map((l) => JSON.parse(l).sequence)).to.deep.equal([0, 1, 2]);

    const json = cli(['append', '--store', store, '--json', '-'], events(2, 'j'));
    expect(json.code, json.stderr).to.equal(0);
    expect(JSON.parse(json.stderr)).to.deep.include({ summary: { command: 'append', events: 2, seconds: JSON.parse(json.stderr).summary.seconds, events_per_second: JSON.parse(json.stderr).summary.events_per_second } });
    const jsonError = cli(['read', '--store', store, '--json', '99']);
    expect(jsonError.code).to.equal(2);
    expect(JSON.parse(jsonError.stderr)).to.deep.equal({ error: { command: 'read', code: 'LEDGER_NOT_FOUND', message: JSON.parse(jsonError.stderr).error.message } });

    const verified = cli(['verify', out, '--workers', '2']);
    expect(verified.stderr).to.equal('');
    expect(JSON.parse(verified.stdout)).to.deep.equal({ valid: true, break_at: null, count: 3 });
  });

  it('on a terminal: append, export, verify (one thread and workers) and replay show the bar with rate and ETA; the summary follows', () => {
    const store = join(dir, 'store');
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, events(200));
    const bar = (label: string) => new RegExp(`${label} \\[[-=]+\\] \\d+% \\| .*events.* \\| \\d+ events/s \\| ETA `);

    const appended = onTerminal(dir, ['append', '--store', store, input]);
    expect(appended.code).to.equal(0);
    expect(appended.terminal).to.match(bar('append'));
    expect(appended.terminal).to.match(/fmwk-ledger append: appended 200 events in /);
    expect(appended.stdout.split('\n').filter(Boolean)).to.have.length(200);
    expect(appended.stdout).not.to.contain('\x1b');

    const out = join(dir, 'export.jsonl');
    const exported = onTerminal(dir, ['export', '--store', store, '--out', out]);
    expect(exported.terminal).to.match(bar('export'));
    expect(exported.terminal).to.contain('fmwk-ledger export: exported 200 events');

    for (const args of [[out], [out, '--workers', '2'], ['--store', store]]) {
      const verified = onTerminal(dir, ['verify', ...args]);
      expect(verified.code, args.join(' ')).to.equal(0);
      expect(verified.terminal, args.join(' ')).to.match(bar('verify'));
      expect(JSON.parse(verified.stdout)).to.deep.equal({ valid: true, break_at: null, count: 200 });
    }

    writeFileSync(join(dir, 'p.mjs'), `export default [{ name: 'n', version: 1, initial: 0, apply: (n) => n + 1 }];\n`);
    const replayed = onTerminal(dir, ['replay', '--store', store, '--projections', join(dir, 'p.mjs'), '--no-snapshots']);
    expect(replayed.code).to.equal(0);
    expect(replayed.terminal).to.match(bar('replay'));

    const snap = onTerminal(dir, ['snapshot', '--store', store, '--projections', join(dir, 'p.mjs')]);
    expect(snap.code).to.equal(0);
    expect(snap.terminal).to.match(bar('snapshot'));

    const quiet = onTerminal(dir, ['verify', out, '--quiet']);
    expect(quiet.terminal).to.equal('');

    // An error while a bar is drawn ends the process (the bar's redraw timer is stopped), and
    // estimating the bar's total never blocks on a FIFO nobody writes to.
    const fifo = join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).to.equal(0);
    const started = Date.now();
    const blocked = onTerminal(dir, ['verify', fifo]);
    expect(blocked.code).to.equal(2);
    expect(blocked.terminal).to.match(/not a regular file/);
    expect(Date.now() - started).to.be.below(30_000);
  });
});
