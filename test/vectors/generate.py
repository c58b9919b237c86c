#!/usr/bin/env python3
"""Generates canonical-vectors.json: the cross-language contract of fmwk-ledger's hash chain.

Every canonical string and hash here is computed by Python's json module, the reference:

    json.dumps(obj, sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode('utf-8')

then SHA-256, rendered 'sha256:<64 lowercase hex>'. The file is committed; regenerate only
on purpose (python3 test/vectors/generate.py) and review the diff: a changed vector means a
changed hash chain. test/canonicalVectors.spec.ts checks the TypeScript side against it.
"""
import hashlib
import json
import os
import sys

GENESIS = 'sha256:' + '0' * 64


def canon(obj):
    return json.dumps(obj, sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode('utf-8')


def sha(b):
    return 'sha256:' + hashlib.sha256(b).hexdigest()


def value_vector(name, value):
    b = canon(value)
    return {'name': name, 'input': value, 'canonical': b.decode('utf-8'), 'canonical_utf8_hex': b.hex(), 'sha256': sha(b)}


# Inputs are written in deliberately unsorted insertion order.
VALUES = [
    ('empty object', {}),
    ('empty array', []),
    ('null, booleans', {'t': True, 'n': None, 'f': False}),
    ('null is kept', {'b': None, 'a': {'x': None}}),
    ('integers are bare digits', {'max': 9007199254740991, 'min': -9007199254740991, 'zero': 0, 'neg': -1, 'big': 1000000000000000}),
    ('nested key sorting at every level', {'b': {'d': 1, 'c': [{'z': 1, 'y': 2}]}, 'a': 0}),
    ('code point order: BMP private use before astral', {'\U0001F600': 1, '\uffff': 2, '\ue000': 3, 'z': 4, '\U00010000': 5, '\ud7ff': 6}),
    ('integer-like keys sort as strings', {'9': 'nine', '10': 'ten', '': 'empty', '-1': 'm', '01': 'z', 'a': 'a'}),
    ('prefix and case order', {'b': 1, 'aa': 2, 'a': 3, 'B': 4, 'a\u0000': 5}),
    ('all C0 control characters escaped', {'c0': ''.join(chr(c) for c in range(0x20))}),
    ('quote, backslash, slash', {'s': '"\\/'}),
    ('DEL, C1, U+2028, U+2029, BOM literal', {'s': '\u007f\u0080\u009f\u2028\u2029\ufeff'}),
    ('non-ASCII and astral literal', {'s': 'café € 日本 \U0001F600 \U0010FFFF \ue000 \uffff'}),
    ('unicode keys', {'clé': 1, 'ключ': 2, '鍵': 3, '\U0001F511': 4}),
    ('empty key and empty string', {'': ''}),
    ('__proto__ and constructor are ordinary keys', {'constructor': 1, '__proto__': {'x': 2}}),
    ('array order is kept', [3, 1, 2, [None, {}], 'x']),
    ('decimals travel as strings', {'delta': '-0.25', 'price': '1.50'}),
    ('deep nesting', {'a': [[[[{'b': [[[]]]}]]]]}),
    ('top-level string', 'line\nbreak\ttab'),
    ('top-level integer', -42),
]

PROVENANCE = {'framework_id': 'FMWK-001', 'pack_id': 'PC-001-ledger', 'actor': 'system'}


def event_vector(name, event):
    body = canon(event)
    h = sha(body)
    stored = dict(event)
    stored['hash'] = h
    return {'name': name, 'event': event, 'canonical': body.decode('utf-8'), 'hash': h, 'line': canon(stored).decode('utf-8')}


def events():
    e0 = {
        'event_id': '01936b2e-5a00-7000-8000-000000000000',
        'sequence': 0,
        'event_type': 'session_start',
        'schema_version': '1.0.0',
        'timestamp': '2026-01-01T00:00:00.000Z',
        'provenance': PROVENANCE,
        'previous_hash': GENESIS,
        'payload': {'session_id': 's-001', 'purpose': 'vectors: é \U0001F600 \u2028', 'metadata': {'10': 1, '9': None}},
    }
    v0 = event_vector('genesis event (sequence 0)', e0)
    e1 = {
        'event_id': '01936b2e-5a01-7000-8000-000000000001',
        'sequence': 1,
        'event_type': 'signal_delta',
        'schema_version': '1.0.0',
        'timestamp': '2026-01-01T00:00:01.000Z',
        'provenance': {'actor': 'agent', 'pack_id': 'PC-002', 'framework_id': 'FMWK-002'},
        'previous_hash': v0['hash'],
        'payload': {'node_id': 'n-1', 'signal': 'attention', 'delta': '-0.25', 'reason': 'tab\there "quoted"'},
    }
    v1 = event_vector('second event, linked to the genesis event', e1)
    return [v0, v1]


def line_vectors():
    """Lines another writer might store; the hash is over canonical JSON of the parsed line without 'hash'."""
    base = {
        'event_id': '01936b2e-5a02-7000-8000-000000000002',
        'sequence': 0,
        'event_type': 'node_creation',
        'schema_version': '1.0.0',
        'timestamp': '2026-01-01T00:00:02.000Z',
        'provenance': PROVENANCE,
        'previous_hash': GENESIS,
    }
    out = []

    def add(name, payload, render):
        ev = dict(base)
        ev['payload'] = payload
        h = sha(canon(ev))
        ev['hash'] = h
        out.append({'name': name, 'line': render(ev), 'hash': h})

    big = {'big': 2 ** 70, 'neg': -(2 ** 70), 'list': [2 ** 64 + 1, 2 ** 53, {'deeper': 2 ** 53 + 1}], 'small': 7}
    add('big integers (2**70, 2**64+1, 2**53+1) hashed as written', big, lambda ev: canon(ev).decode('utf-8'))
    add('ensure_ascii=True writer', {'s': 'café \U0001F600 \u2028'},
        lambda ev: json.dumps(ev, sort_keys=True, separators=(',', ':'), ensure_ascii=True))
    add('default separators and insertion order', {'z': 1, 'a': {'10': 1, '9': 2}}, lambda ev: json.dumps(ev))
    return out


REJECTED = [
    # JSON texts that parse, in JavaScript, to values canonical JSON must refuse (path named).
    ('a float', '{"payload":{"price":1.5}}', 'payload.price'),
    ('an integer beyond 2^53', '{"n":9007199254740993}', 'n'),
    ('a number that overflows to Infinity', '{"k":[1e400]}', 'k[0]'),
    ('a lone surrogate in a value', '{"s":"\\ud800"}', 's'),
    ('a lone surrogate in a key', '{"o":{"\\udc00":1}}', 'o["\\udc00"]'),
]


def main():
    doc = {
        'description': 'fmwk-ledger canonical JSON vectors, generated by test/vectors/generate.py with Python %s. '
                       'canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False); '
                       'sha256 over its UTF-8 bytes, rendered sha256:<64 lowercase hex>. Event hashes exclude the "hash" field.'
                       % sys.version.split()[0],
        'genesis_previous_hash': GENESIS,
        'values': [value_vector(n, v) for n, v in VALUES],
        'events': events(),
        'lines': line_vectors(),
        'rejected': [{'name': n, 'json': j, 'path': p} for n, j, p in REJECTED],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'canonical-vectors.json')
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write('\n')
    print('wrote', path)


if __name__ == '__main__':
    main()
