// readLineRuns (offsets into one reused buffer, what verifyFile now reads) against
// readLineBatches (views) and against a plain split of the file: the same lines, torn tail and
// errors at every chunk size, for the edges a chunked reader gets wrong: a line across two
// chunks, a line longer than a chunk, a torn tail, an end bound inside a line, an empty file.
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLineBatches, readLineRuns } from '../../src/contract/lineReader.js';
import { LedgerConnectionError, LedgerLineTooLongError } from '../../src/errors/errors.js';
import { tempDir } from '../support/tempDir.js';

interface Read { readonly lines: string[]; readonly torn: number }

async function viaRuns(path: string, start: number, end: number, chunk: number, max?: number): Promise<Read> {
  let torn = 0;
  const lines: string[] = [];
  for await (const r of readLineRuns(path, start, end, (b) => (torn = b), chunk, max)) {
    expect(r.count).to.be.greaterThan(0);
    for (let k = 0; k < r.count; k++) lines.push(r.bytes.toString('latin1', r.starts[k]!, r.ends[k]!));
  }
  return { lines, torn };
}

async function viaViews(path: string, start: number, end: number, chunk: number): Promise<Read> {
  let torn = 0;
  const lines: string[] = [];
  for await (const batch of readLineBatches(path, start, end, (b) => (torn = b), chunk)) for (const l of batch) lines.push(l.toString('latin1'));
  return { lines, torn };
}

/** What the rules say: the lines of [start, end) up to the last newline, and the bytes after it. */
function expected(text: string, start: number, end: number): Read {
  const part = text.slice(start, Math.min(end, text.length));
  const last = part.lastIndexOf('\n');
  return { lines: last < 0 ? [] : part.slice(0, last).split('\n'), torn: part.length - (last + 1) };
}

describe('readLineRuns: the reader verifyFile uses (issue 10 §1)', () => {
  const t = tempDir('fmwk-ledger-runs-');
  after(() => t.remove());

  const cases: Record<string, string> = {
    empty: '',
    'only a newline': '\n',
    'torn tail': 'abc\ndefgh\nij',
    'no newline at all': 'x'.repeat(100),
    'empty lines': '\n\n\nab\n\n',
    'line longer than the chunk': `a\n${'L'.repeat(1000)}\nb\n`,
    'many short lines': Array.from({ length: 500 }, (_, i) => `line-${i}`).join('\n') + '\n',
  };

  for (const [name, text] of Object.entries(cases)) {
    it(`${name}: same lines and torn tail as a split, and as readLineBatches, at every chunk size and bound`, async () => {
      const path = join(t.dir, `${name.replace(/ /g, '-')}.txt`);
      writeFileSync(path, text, 'latin1');
      for (const chunk of [1, 2, 3, 7, 16, 64, 4096]) {
        // Bounds inside lines, at newlines, past the end.
        for (const [start, end] of [[0, Infinity], [0, text.length], [0, Math.floor(text.length / 2)], [Math.floor(text.length / 3), text.length - 1], [0, 5]] as const) {
          if (start > text.length) continue;
          const want = expected(text, start, end);
          expect(await viaRuns(path, start, end, chunk), `chunk ${chunk} [${start}, ${end})`).to.deep.equal(want);
          expect(await viaViews(path, start, end, chunk), `views, chunk ${chunk} [${start}, ${end})`).to.deep.equal(want);
        }
      }
    });
  }

  it('a line across two chunks and more lines than the offset table holds (it grows)', async () => {
    const text = Array.from({ length: 5000 }, (_, i) => 'x'.repeat(i % 7)).join('\n') + '\n';
    const path = join(t.dir, 'grow.txt');
    writeFileSync(path, text);
    const got = await viaRuns(path, 0, Infinity, 1 << 16);
    expect(got).to.deep.equal(expected(text, 0, Infinity));
  });

  it('attack: a line longer than the limit is LedgerLineTooLongError (never unbounded growth), with or without its newline', async () => {
    const path = join(t.dir, 'long.txt');
    writeFileSync(path, `ok\n${'z'.repeat(300)}\n`);
    const err = await viaRuns(path, 0, Infinity, 16, 100).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(LedgerLineTooLongError);
    writeFileSync(path, `ok\n${'z'.repeat(300)}`);
    const torn = await viaRuns(path, 0, Infinity, 16, 100).then(() => undefined, (e: unknown) => e);
    expect(torn).to.be.instanceOf(LedgerLineTooLongError);
  });

  it('attack: a directory or FIFO-like path is refused as not a regular file', async () => {
    const err = await viaRuns(t.dir, 0, Infinity, 16).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(LedgerConnectionError);
  });
});
