#!/usr/bin/env python3
"""Generates stream-vectors.json: whole ledgers exercising the optional event fields of issue 13
(metadata, stream_id, stream_version) and the ledger-wide rules (per-stream versions 0, 1, 2...
with no gap or repeat; no event_id repeats), each with the verdict every verifier must give.

Lines are built and hashed by Python's json module, independently of the TypeScript writer:
hash = sha256 of canonical JSON of the event without "hash". A ledger may hold lines written in
a non-canonical rendering (render="..."): the hash is then still over the canonical form unless
the vector says otherwise. The file is committed; regenerate on purpose
(python3 test/vectors/generate_streams.py) and review the diff. canonical-vectors.json (events
without the optional fields) is untouched by issue 13: those lines are byte for byte the same.
"""
import hashlib
import json
import os

GENESIS = 'sha256:' + '0' * 64
PROV = {'framework_id': 'FMWK-001', 'pack_id': 'PC-001-ledger', 'actor': 'system'}
ORDER = ['event_id', 'event_type', 'hash', 'metadata', 'payload', 'previous_hash', 'provenance',
         'schema_version', 'sequence', 'stream_id', 'stream_version', 'timestamp']


def canon(obj):
    return json.dumps(obj, sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode('utf-8')


def sha(b):
    return 'sha256:' + hashlib.sha256(b).hexdigest()


def uuid(n):
    return '01936b2e-5a02-7000-8000-%012d' % n


class Ledger:
    def __init__(self):
        self.lines = []
        self.prev = GENESIS
        self.events = []

    def add(self, extra, eid=None, render=None, hash_over=None, body_extra=None):
        """Appends one event. extra: optional fields (and overrides); render(ev) -> the stored text
        (default canonical); hash_over(ev_without_hash) -> the bytes hashed (default canonical)."""
        n = len(self.lines)
        ev = {'event_id': eid or uuid(n + 1), 'event_type': 'order_placed', 'schema_version': '1.0.0',
              'timestamp': '2026-01-01T00:00:%02d.000Z' % n, 'provenance': PROV, 'previous_hash': self.prev,
              'sequence': n, 'payload': {'n': n}}
        ev.update(extra)
        h = sha(hash_over(ev) if hash_over else canon(ev))
        full = dict(ev)
        full['hash'] = h
        text = render(full, h) if render else canon(full).decode('utf-8')
        self.lines.append(text)
        self.events.append(full)
        self.prev = h
        return self


def raw_render(template):
    """A renderer that writes a line by hand: template.format(**json-encoded members)."""
    def render(ev, h):
        return template.format(**{k.replace('_', ''): json.dumps(v, ensure_ascii=False, sort_keys=True, separators=(',', ':')) for k, v in ev.items()})
    return render


def ledgers():
    out = []

    def vec(name, ledger, valid, break_at=None, note=''):
        out.append({'name': name, 'lines': ledger.lines, 'valid': valid, 'break_at': break_at,
                    'count': len(ledger.lines) if valid else break_at, 'note': note})

    meta = {'correlation_id': 'c-1', 'causation_id': uuid(1), 'tags': ['a', 'b'], 'nested': {'z': 1, 'a': None}}
    good = (Ledger()
            .add({'stream_id': 'order-1', 'stream_version': 0})
            .add({})
            .add({'stream_id': 'order-2', 'stream_version': 0, 'metadata': meta})
            .add({'stream_id': 'order-1', 'stream_version': 1, 'metadata': {}})
            .add({'metadata': {'correlation_id': 'c-2'}})
            .add({'stream_id': 'café/\U0001F600 "q"\n', 'stream_version': 0})
            .add({'stream_id': 'order-1', 'stream_version': 2}))
    vec('a valid ledger with streams, metadata and plain events', good, True)
    vec('a version gap (0 then 2)', Ledger().add({'stream_id': 's', 'stream_version': 0}).add({}).add({'stream_id': 's', 'stream_version': 2}), False, 2)
    vec('a repeated version (0, 1, 1)', Ledger().add({'stream_id': 's', 'stream_version': 0}).add({'stream_id': 's', 'stream_version': 1}).add({'stream_id': 's', 'stream_version': 1}), False, 2)
    vec('a stream that starts at 1', Ledger().add({}).add({'stream_id': 's', 'stream_version': 1}), False, 1)
    vec('versions of two streams interleaved are each checked', Ledger().add({'stream_id': 'a', 'stream_version': 0}).add({'stream_id': 'b', 'stream_version': 0}).add({'stream_id': 'a', 'stream_version': 1}).add({'stream_id': 'b', 'stream_version': 0}), False, 3)
    vec('a repeated event_id', Ledger().add({}).add({}, eid=uuid(99)).add({'stream_id': 's', 'stream_version': 0}).add({}, eid=uuid(99)), False, 3)
    vec('a repeated event_id in a stream', Ledger().add({'stream_id': 's', 'stream_version': 0}, eid=uuid(7)).add({'stream_id': 's', 'stream_version': 1}, eid=uuid(7)), False, 1)
    vec('stream_id without stream_version', Ledger().add({}).add({'stream_id': 's'}), False, 1)
    vec('stream_version without stream_id', Ledger().add({}).add({'stream_version': 0}), False, 1)
    vec('an empty stream_id', Ledger().add({}).add({'stream_id': '', 'stream_version': 0}), False, 1)
    vec('a stream_id that is a number', Ledger().add({}).add({'stream_id': 5, 'stream_version': 0}), False, 1)
    vec('a stream_version that is a string', Ledger().add({}).add({'stream_id': 's', 'stream_version': '0'}), False, 1)
    vec('a stream_version that is true', Ledger().add({}).add({'stream_id': 's', 'stream_version': True}), False, 1)
    vec('a negative stream_version', Ledger().add({}).add({'stream_id': 's', 'stream_version': -1}), False, 1)
    vec('a stream_version of 2^53', Ledger().add({'stream_id': 's', 'stream_version': 2 ** 53}), False, 0)
    vec('metadata that is an array', Ledger().add({}).add({'metadata': ['x']}), False, 1)
    vec('metadata that is null', Ledger().add({}).add({'metadata': None}), False, 1)
    # A float cannot be canonical JSON: the hash over Python's rendering of it does not save it.
    vec('metadata holding a float', Ledger().add({}).add({'metadata': {'score': 1.5}}), False, 1)
    # Keys out of order inside metadata: a foreign rendering, hashed over the canonical form: valid.
    unsorted = raw_render('{{"event_id":{eventid},"event_type":{eventtype},"hash":{hash},"metadata":{{"z":1,"a":2}},"payload":{payload},'
                          '"previous_hash":{previoushash},"provenance":{provenance},"schema_version":{schemaversion},"sequence":{sequence},"timestamp":{timestamp}}}')
    vec('metadata keys out of order, hashed over the canonical form', Ledger().add({}).add({'metadata': {'a': 2, 'z': 1}}, render=unsorted), True,
        note='not byte-canonical: verified by the exact path')
    # A stream member out of its canonical place: valid only if hashed over the canonical form.
    moved = raw_render('{{"event_id":{eventid},"event_type":{eventtype},"hash":{hash},"payload":{payload},"previous_hash":{previoushash},'
                       '"provenance":{provenance},"schema_version":{schemaversion},"sequence":{sequence},"timestamp":{timestamp},'
                       '"stream_version":{streamversion},"stream_id":{streamid}}}')
    vec('stream members after timestamp, hashed over the canonical form', Ledger().add({'stream_id': 's', 'stream_version': 0}, render=moved), True,
        note='not byte-canonical: verified by the exact path')
    vec('stream members after timestamp, hashed as written', Ledger().add({}).add({'stream_id': 's', 'stream_version': 0}, render=moved,
        hash_over=lambda ev: moved(dict(ev, hash=''), '').replace(',"hash":""', '').encode('utf-8')), False, 1)
    # "-0" is the integer 0 in every JSON reader: a foreign writer's rendering, valid when hashed canonically.
    minus0 = raw_render('{{"event_id":{eventid},"event_type":{eventtype},"hash":{hash},"payload":{payload},"previous_hash":{previoushash},'
                        '"provenance":{provenance},"schema_version":{schemaversion},"sequence":{sequence},"stream_id":{streamid},"stream_version":-0,"timestamp":{timestamp}}}')
    vec('stream_version written -0, hashed over the canonical 0', Ledger().add({'stream_id': 's', 'stream_version': 0}, render=minus0), True,
        note='not byte-canonical: verified by the exact path')
    floaty = raw_render('{{"event_id":{eventid},"event_type":{eventtype},"hash":{hash},"payload":{payload},"previous_hash":{previoushash},'
                        '"provenance":{provenance},"schema_version":{schemaversion},"sequence":{sequence},"stream_id":{streamid},"stream_version":1.0,"timestamp":{timestamp}}}')
    vec('stream_version written 1.0', Ledger().add({'stream_id': 's', 'stream_version': 0}).add({'stream_id': 's', 'stream_version': 1}, render=floaty), False, 1)
    dup = raw_render('{{"event_id":{eventid},"event_type":{eventtype},"hash":{hash},"payload":{payload},"previous_hash":{previoushash},'
                     '"provenance":{provenance},"schema_version":{schemaversion},"sequence":{sequence},"stream_id":"t","stream_id":{streamid},"stream_version":{streamversion},"timestamp":{timestamp}}}')
    vec('a duplicate stream_id key', Ledger().add({}).add({'stream_id': 's', 'stream_version': 0}, render=dup), False, 1)
    return out, good


def built(good):
    """Events with the optional fields, for buildEventLine: its line must be these bytes."""
    out = []
    for ev in good.events:
        out.append({'event': {k: v for k, v in ev.items() if k != 'hash'}, 'hash': ev['hash'], 'line': canon(ev).decode('utf-8')})
    return out


def main():
    out, good = ledgers()
    doc = {
        'description': 'fmwk-ledger stream vectors (issue 13), generated by test/vectors/generate_streams.py. '
                       'ledgers: whole files and the verdict every verifier gives; events: lines buildEventLine must reproduce.',
        'field_order': ORDER,
        'ledgers': out,
        'events': built(good),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'stream-vectors.json')
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
