// The layer rules (.dependency-cruiser.cjs, .dependency-cruiser.static.cjs) as part of the suite,
// so a wrong-way import or an import cycle fails `npm test` like any other defect.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('layers', function () {
  this.timeout(300_000);
  it('no import cycle and no wrong-way import between the layers (npm run lint:deps)', () => {
    const r = spawnSync('npm', ['run', '-s', 'lint:deps'], { cwd: root, encoding: 'utf8' });
    expect(r.status, `${r.stdout}\n${r.stderr}`).to.equal(0);
  });
});
