// The README's "Getting started in five minutes", run as a newcomer would: its shell blocks,
// taken from README.md itself, in one bash in an empty directory, with the install line replaced
// by a copy of the node_modules of a project where the tarball of this checkout's npm pack was
// installed (test/support/packedInstall.ts: the same node_modules/fmwk-ledger and
// node_modules/.bin/fmwk-ledger a registry install gives). Every `# →` line must appear in stdout,
// in order. So the guide cannot drift from the CLI. Also: `npm run demo` (its script) stays within one screen.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { packedInstall } from '../support/packedInstall.js';
import { tempDir } from '../support/tempDir.js';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const INSTALL = 'npm install fmwk-ledger';

/** The section's ```sh blocks, in order. */
function gettingStartedBlocks(readme: string): string[] {
  const start = readme.indexOf('\n## Getting started in five minutes\n');
  if (start < 0) throw new Error('README.md has no "## Getting started in five minutes" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** `# → text` lines, as regular expressions for one whole stdout line (`…` matches anything). */
function expectedLines(script: string): Array<{ text: string; pattern: RegExp }> {
  return [...script.matchAll(/^# → (.*)$/gm)].map((m) => {
    const text = m[1]!.trimEnd();
    const pattern = new RegExp(`^${text.split('…').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    return { text, pattern };
  });
}

/** Checks that every expected line matches a stdout line, in order; names the first that does not. */
function expectInOrder(stdout: string, expected: Array<{ text: string; pattern: RegExp }>): void {
  const lines = stdout.split('\n');
  let at = 0;
  for (const { text, pattern } of expected) {
    const found = lines.findIndex((line, i) => i >= at && pattern.test(line));
    expect(found, `README expects the line\n  ${text}\nafter stdout line ${at} of:\n${stdout}`).to.be.at.least(0);
    at = found + 1;
  }
}

describe('docs: README "Getting started in five minutes"', function () {
  this.timeout(900_000);

  it('has the install, append, read, verify, replay and tamper steps as shell blocks', () => {
    const script = gettingStartedBlocks(README).join('\n');
    expect(script.split('\n').filter((l) => l.trim() === INSTALL), 'exactly one install line').to.have.length(1);
    for (const command of ['fmwk-ledger append', 'fmwk-ledger read', 'fmwk-ledger verify --store', 'fmwk-ledger replay', 'fmwk-ledger export', 'fmwk-ledger verify tampered.jsonl']) {
      expect(script, command).to.include(command);
    }
    expect(expectedLines(script).length).to.be.at.least(8);
  });

  it('runs as written in an empty directory and prints every line it promises', async () => {
    const installed = await packedInstall();
    const { dir, remove } = tempDir('fmwk-docs-start-');
    try {
      const blocks = gettingStartedBlocks(README);
      // The one substitution: the packed install instead of the registry (nothing fetched).
      const script = blocks.join('\n').replace(`\n${INSTALL}\n`, '\ncp -R "$FMWK_LEDGER_INSTALLED/node_modules" .\n');
      expect(script).to.not.include(INSTALL);
      const run = spawnSync('bash', ['-euo', 'pipefail', '-c', script], {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: process.env.HOME, FMWK_LEDGER_INSTALLED: installed.dir, LANG: 'C.UTF-8' },
        timeout: 150_000,
      });
      expect(run.status, `exit ${run.status}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`).to.equal(0);
      expectInOrder(run.stdout, expectedLines(script));
      // The CLI that ran is the installed one, and the tamper's reason went to stderr.
      expect(run.stderr).to.match(/fmwk-ledger verify: invalid at sequence 2/);
    } finally {
      remove();
    }
  });

  it('expected lines are checked: a wrong promise fails', () => {
    const [promise] = expectedLines('# → {"valid":true,"break_at":null,"count":4}');
    expect(() => expectInOrder('{"valid":true,"break_at":null,"count":3}\n', [promise!])).to.throw(/README expects the line/);
    expect(() => expectInOrder('{"valid":true,"break_at":null,"count":4}\n', [promise!])).to.not.throw();
    const [wild] = expectedLines('# → {"sequence":0,"hash":"sha256:…"}');
    expect(wild!.pattern.test('{"sequence":0,"hash":"sha256:ab"}')).to.equal(true);
    expect(wild!.pattern.test('{"sequence":1,"hash":"sha256:ab"}')).to.equal(false);
  });
});

describe('docs: npm run demo', function () {
  this.timeout(120_000);

  it('shows every step within one screen and catches the tampered byte at its event', () => {
    const run = spawnSync(process.execPath, [fileURLToPath(new URL('../../examples/demo.js', import.meta.url))], { encoding: 'utf8', timeout: 100_000 });
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stderr).to.equal('');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.length, run.stdout).to.be.at.most(40);
    for (const step of ['append', 'replay', 'snapshot', 'state at an earlier sequence', 'live', 'verify', 'an auditor']) {
      expect(run.stdout, step).to.match(new RegExp(`^\\d\\. ${step}`, 'm'));
    }
    expect(run.stdout).to.match(/refused, nothing written: LEDGER_VALIDATION payload\.delta/);
    expect(run.stdout).to.match(/states\$ -> #7: graph\.n3 = \{label:"Snapshot",relevance:5\}/);
    expect(run.stdout).to.include('{"valid":true,"break_at":null,"count":8}');
    expect(run.stdout).to.include('after:  {"valid":false,"break_at":3,"count":3}');
    expect(run.stdout).to.include('at #3: {n1:{label:"Ledger",relevance:3},n2:{label:"Projection",relevance:0}}');
  });
});
