// The README's walkthroughs (WorldLine, governance, atomic batches and handleCommand), run as written by someone who installed
// the package: each ```ts block is taken from README.md unchanged and run by node in an empty
// directory of a project where the tarball of npm pack is installed (test/support/packedInstall.ts);
// the values its comments promise must be what it prints.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packedInstall, projectSubdir } from '../support/packedInstall.js';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The ```ts block of the section headed `heading`, as written. */
function block(heading: string): string {
  const start = README.indexOf(`\n### ${heading}`);
  if (start < 0) throw new Error(`README.md has no "### ${heading}" section`);
  const section = README.slice(start, README.indexOf('\n## ', start + 1));
  const code = /^```ts\n([\s\S]*?)^```$/m.exec(section)?.[1];
  if (!code) throw new Error(`"### ${heading}" has no ts block`);
  // The blocks carry no type annotations, so node runs them as JavaScript, unchanged.
  return code;
}

async function run(heading: string): Promise<string> {
  const code = block(heading);
  expect(code, 'imports only the package, by name').to.not.match(/from '\.{1,2}\//);
  const dir = projectSubdir(await packedInstall(), 'walkthrough');
  writeFileSync(join(dir, 'walk.mjs'), code);
  const r = spawnSync(process.execPath, ['walk.mjs'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, `${heading}: exit ${r.status}\n${r.stderr}`).to.equal(0);
  return r.stdout;
}

describe('docs: README walkthroughs', function () {
  this.timeout(900_000);

  it('WorldLine: the refused outcome, the state from the snapshot, the stream in version order', async () => {
    expect((await run('WorldLine (seed 001)')).trim().split('\n')).to.deep.equal([
      "WL_OUTCOME_UNATTRIBUTED { release: 'v2' } [ 'deploy:prod' ] 2", '0 wl_commitment', '1 wl_outcome', '2 wl_snapshot',
    ]);
  });

  it('atomic batches and a command handler: one batch, a decision made twice, the second empty', async () => {
    expect((await run('Atomic batches and a command handler')).trim().split('\n')).to.deep.equal([
      '0 1 1', '8 2 8 0', '{ index: 1, size: 2 }',
    ]);
  });

  it('governance: the actor query and the cold verdict on the export', async () => {
    expect((await run('Governance audit (seed 000)')).trim().split('\n')).to.deep.equal([
      '1 gov_proposal_approved', '{ valid: true, break_at: null, count: 2, problems: [] }',
    ]);
  });
});
