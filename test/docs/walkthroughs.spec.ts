// The README's walkthroughs (WorldLine, governance, atomic batches and handleCommand), run as written: each ```ts block is
// taken from README.md, its imports pointed at this clone's build, and run by node in an empty
// directory; the values its comments promise must be what it prints.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../support/tempDir.js';

const DIST = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The ```ts block of the section headed `heading`, with its imports resolved to the build. */
function block(heading: string): string {
  const start = README.indexOf(`\n### ${heading}`);
  if (start < 0) throw new Error(`README.md has no "### ${heading}" section`);
  const section = README.slice(start, README.indexOf('\n## ', start + 1));
  const code = /^```ts\n([\s\S]*?)^```$/m.exec(section)?.[1];
  if (!code) throw new Error(`"### ${heading}" has no ts block`);
  // The blocks carry no type annotations, so the build's JavaScript runs them unchanged.
  return code
    .replace(/'fmwk-ledger'/g, `'${join(DIST, 'src', 'index.js')}'`)
    .replace(/'fmwk-ledger\/verify'/g, `'${join(DIST, 'src', 'verify.js')}'`)
    .replace(/'\.\/examples\//g, `'${join(DIST, 'examples')}/`);
}

function run(heading: string): string {
  const { dir, remove } = tempDir();
  try {
    writeFileSync(join(dir, 'walk.mjs'), block(heading));
    const r = spawnSync(process.execPath, ['walk.mjs'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, `${heading}: exit ${r.status}\n${r.stderr}`).to.equal(0);
    return r.stdout;
  } finally {
    remove();
  }
}

describe('docs: README walkthroughs', () => {
  it('WorldLine: the refused outcome, the state from the snapshot, the stream in version order', () => {
    expect(run('WorldLine (seed 001)').trim().split('\n')).to.deep.equal([
      "WL_OUTCOME_UNATTRIBUTED { release: 'v2' } [ 'deploy:prod' ] 2", '0 wl_commitment', '1 wl_outcome', '2 wl_snapshot',
    ]);
  });

  it('atomic batches and a command handler: one batch, a decision made twice, the second empty', () => {
    expect(run('Atomic batches and a command handler').trim().split('\n')).to.deep.equal([
      '0 1 1', '8 2 8 0', '{ index: 1, size: 2 }',
    ]);
  });

  it('governance: the actor query and the cold verdict on the export', () => {
    expect(run('Governance audit (seed 000)').trim().split('\n')).to.deep.equal([
      '1 gov_proposal_approved', '{ valid: true, break_at: null, count: 2, problems: [] }',
    ]);
  });
});
