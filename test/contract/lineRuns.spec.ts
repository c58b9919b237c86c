// readLineRuns (offsets into one reused buffer, what verifyFile now reads) against
// readLineBatches (views) and against a plain split of the file: the same lines, torn tail and
// errors at every chunk size, for the edges a chunked reader gets wrong: a line across two
// chunks, a line longer than a chunk, a torn tail, an end bound inside a line, an empty file.
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { CARRY_ROOM, readLineBatches, readLineRuns } from '../../src/contract/lineReader.js';
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

  it('lines around the carry room (the unfinished line copied in front of the next chunk, or joined apart when longer) at chunk sizes that cut them anywhere', async () => {
    const sizes = [CARRY_ROOM - 1, CARRY_ROOM, CARRY_ROOM + 1, 3 * CARRY_ROOM + 5, 10];
    const text = sizes.map((n, i) => String.fromCharCode(97 + i).repeat(n)).join('\n') + '\nshort\n' + 'T'.repeat(CARRY_ROOM + 7);
    const path = join(t.dir, 'carry.txt');
    writeFileSync(path, text, 'latin1');
    for (const chunk of [1000, 4096, CARRY_ROOM - 3, CARRY_ROOM, 1 << 20]) {
      for (const [start, end] of [[0, Infinity], [0, text.length - 10], [CARRY_ROOM + 3, 5 * CARRY_ROOM]] as const) {
        const want = expected(text, start, end);
        expect(await viaRuns(path, start, end, chunk), `chunk ${chunk} [${start}, ${end})`).to.deep.equal(want);
        expect(await viaViews(path, start, end, chunk), `views, chunk ${chunk} [${start}, ${end})`).to.deep.equal(want);
      }
    }
  });

  it('a line of 5 MiB read in 4 KiB chunks (the reads grow with the unfinished line): the same lines', async () => {
    const text = `a\n${'B'.repeat(5 << 20)}\nc\n`;
    const path = join(t.dir, 'five.txt');
    writeFileSync(path, text, 'latin1');
    const got = await viaRuns(path, 0, Infinity, 4096);
    expect(got.lines.map((l) => l.length)).to.deep.equal([1, 5 << 20, 1]);
    expect(got.lines[1]).to.equal('B'.repeat(5 << 20));
    expect(got.torn).to.equal(0);
  });

  it('a consumer that stops after the first batch: the read in flight is awaited before the file is closed, nothing is left pending', async () => {
    const text = Array.from({ length: 20_000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const path = join(t.dir, 'stop.txt');
    writeFileSync(path, text);
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const fh = await open(path, 'r');
      for await (const run of readLineRuns(fh, 0, Infinity, undefined, 4096)) {
        expect(run.count).to.be.greaterThan(0);
        break;
      }
      // The caller's handle is still usable and not mid-read: closing it now is clean.
      await fh.close();
      for await (const run of readLineRuns(path, 0, Infinity, undefined, 4096)) {
        expect(run.bytes.toString('latin1', run.starts[0]!, run.ends[0]!)).to.equal('line 0');
        break;
      }
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).to.deep.equal([]);
  });
});
