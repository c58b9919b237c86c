// The index key layout (keyLayout.ts): user strings are escaped so that no key of one kind,
// stream or ledger can be read as another's, and parse() takes back exactly what the layout wrote.

import { expect } from 'chai';
import { escapeKeyPart, IndexKeyLayout, unescapeKeyPart } from '../../../src/stores/immudb/keyLayout.js';

const tricky = ['', 'a', 'a/b', 'a%2Fb', '%', '%25', '/', 'e/x', 's/a/00000000000000000001', 'ü/☃', '00000000000000000007'];

describe('IndexKeyLayout', () => {
  it('escapes "%" and "/" only, and unescapes exactly', () => {
    for (const s of tricky) {
      const e = escapeKeyPart(s);
      expect(e).not.to.contain('/');
      expect(unescapeKeyPart(e)).to.equal(s);
    }
    expect(unescapeKeyPart('a/b')).to.equal(undefined);
    expect(unescapeKeyPart('a%2')).to.equal(undefined);
    expect(unescapeKeyPart('%41')).to.equal(undefined);
  });

  it('prefix-free: one escaped id is a prefix of another only when the id is', () => {
    for (const a of tricky) {
      for (const b of tricky) expect(escapeKeyPart(b).startsWith(escapeKeyPart(a)), `${a} / ${b}`).to.equal(b.startsWith(a));
    }
  });

  it('parse() inverts every key kind; keys of one stream never fall under another stream\'s prefix', () => {
    const layout = new IndexKeyLayout('event/');
    expect(layout.base).to.equal('index/event%2F/');
    for (const s of tricky.filter((x) => x !== '')) {
      expect(layout.parse(layout.eventId(s))).to.deep.equal({ kind: 'e', event_id: s });
      expect(layout.parse(layout.hash(s))).to.deep.equal({ kind: 'h', hash: s });
      expect(layout.parse(layout.stream(s, 7))).to.deep.equal({ kind: 's', stream_id: s, version: 7 });
      for (const kind of ['t', 'a', 'f', 'm'] as const) expect(layout.parse(layout.query(kind, s, 42))).to.deep.equal({ kind, value: s, sequence: 42 });
      for (const other of tricky.filter((x) => x !== '' && x !== s)) {
        expect(layout.stream(other, 0).subarray(0, layout.streamPrefix(s).length).equals(layout.streamPrefix(s)), `${s} vs ${other}`).to.equal(false);
      }
    }
    expect(layout.parse(layout.query('q', '', 3))).to.deep.equal({ kind: 'q', value: '', sequence: 3 });
  });

  it('parse() refuses foreign and malformed keys: another ledger\'s, short numbers, extra parts, unknown kinds', () => {
    const layout = new IndexKeyLayout('event/');
    const other = new IndexKeyLayout('event/x/');
    for (const key of [
      other.eventId('a'), other.query('q', '', 1),
      Buffer.from('index/event%2F/q/1'), Buffer.from('index/event%2F/q/000000000000000000001'), Buffer.from('index/event%2F/s/a/b/00000000000000000001'),
      Buffer.from('index/event%2F/z/a'), Buffer.from('index/event%2F/e/a/b'), Buffer.from('event/00000000000000000001'), Buffer.from([0x69, 0xff]),
    ]) {
      expect(layout.parse(key), key.toString()).to.equal(undefined);
    }
  });

  it('rejects numbers that are not non-negative safe integers', () => {
    const layout = new IndexKeyLayout('p/');
    expect(() => layout.stream('a', -1)).to.throw(RangeError);
    expect(() => layout.query('t', 'x', 1.5)).to.throw(RangeError);
  });
});
