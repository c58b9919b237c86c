#!/usr/bin/env python3
"""A strict, independent cold verifier of fmwk-ledger files (stdlib only).

It implements the README's byte contract from scratch, sharing no code with the TypeScript
verifier, and the hostile suite checks that both give the same answer for every file:

- the file is read as bytes; a line exists only once its newline does (bytes after the last
  newline are a torn tail: ignored, reported as torn_bytes);
- each line is strict UTF-8 (invalid bytes are invalid at that line);
- json.loads refuses duplicate keys (compared after unescaping), non-integer numbers, NaN and
  Infinity;
- the top-level object has the base event's fields and may have the optional ones of issue 13
  (metadata, stream_id, stream_version) and no others; sequence is an int (not a bool)
  equal to the line's position; hash and previous_hash are strings;
- metadata, when present, is an object; stream_id and stream_version come together: stream_id a
  non-empty string, stream_version an int (not a bool) in [0, 2^53 - 1];
- hash = "sha256:" + sha256(canonical JSON of the event without "hash"), where canonical JSON
  is json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False) encoded as
  UTF-8 (a lone surrogate from an escape cannot be encoded: invalid);
- previous_hash is genesis (sha256: + 64 zeros) for line 0, the hash of line n-1 after that;
- each stream's versions run 0, 1, 2... in line order (no gap, no repeat), and no event_id
  (compared as canonical JSON) repeats in the file;
- batch (issue 22), when present, is {"index": i, "size": n} with ints (not bools), n >= 2 and
  0 <= i < n; a line with index 0 opens a batch, each next line continues it (index + 1, same
  size) until index n - 1 closes it; a line without batch inside an open batch, another index
  or size, or an index > 0 with no batch open breaks the rule, at the batch's first line; a
  file that ends inside a batch is valid up to it (the batch is an unfinished write, like a
  torn tail: reported as unfinished_batch, its lines not counted).

The first line that fails is break_at; count is how many lines verified before it (all of them
when valid). Nesting depth never decides the answer: the work runs on a thread with a large
stack and a raised recursion limit, and a RecursionError is reported as an error, not a verdict.

Usage:
  oracle.py FILE     prints {"valid":..,"break_at":..,"count":..,"torn_bytes":..}; exit 0 valid, 1 not
  oracle.py --batch  reads one path per line on stdin, answers one JSON line per path on stdout
                     (an unexpected failure is {"error": "..."} for that path)
"""
import hashlib
import json
import sys
import threading

GENESIS = "sha256:" + "0" * 64
FIELDS = frozenset(["event_id", "event_type", "hash", "payload", "previous_hash", "provenance",
                    "schema_version", "sequence", "timestamp"])
OPTIONAL = frozenset(["batch", "metadata", "stream_id", "stream_version"])
MAX_SAFE = 2 ** 53 - 1


class Invalid(Exception):
    """The line breaks the contract (the message says how); `at`: the position to report, if not the line's."""

    def __init__(self, message, at=None):
        super().__init__(message)
        self.at = at


def _unique_keys(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise Invalid("duplicate key %r" % key)
        obj[key] = value
    return obj


def _no_float(lexeme):
    raise Invalid("non-integer number %s" % lexeme)


def _no_constant(name):
    raise Invalid("%s is not JSON the contract allows" % name)


def _canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _natural(value):
    return type(value) is int and 0 <= value <= MAX_SAFE


def check_line(raw, position, previous, ledger):
    """The hash of the line at `position` (bytes, newline excluded), or raises Invalid.

    `ledger` holds what the ledger-wide rules need: "versions" (stream -> last version) and
    "ids" (canonical event_id -> first position); it is updated only for a valid line.
    """
    try:
        text = raw.decode("utf-8")  # strict: overlong forms, surrogates, stray bytes all fail
    except UnicodeDecodeError as e:
        raise Invalid("not UTF-8: %s" % e)
    try:
        event = json.loads(text, object_pairs_hook=_unique_keys, parse_float=_no_float,
                           parse_constant=_no_constant)
    except ValueError as e:  # JSONDecodeError is a ValueError
        raise Invalid("not JSON: %s" % e)
    if type(event) is not dict:
        raise Invalid("not a JSON object")
    keys = frozenset(event)
    if not FIELDS <= keys or not keys <= FIELDS | OPTIONAL:
        raise Invalid("fields are not the base event's plus optional batch/metadata/stream_id/stream_version")
    sequence = event["sequence"]
    if type(sequence) is not int or sequence != position:
        raise Invalid("sequence %r at position %d" % (sequence, position))
    stored = event.pop("hash")
    if type(stored) is not str or type(event["previous_hash"]) is not str:
        raise Invalid("hash and previous_hash must be strings")
    try:
        body = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as e:
        raise Invalid("a string is not encodable as UTF-8 (lone surrogate): %s" % e)
    computed = "sha256:" + hashlib.sha256(body).hexdigest()
    if computed != stored:
        raise Invalid("stored hash %s, content hashes to %s" % (stored, computed))
    if event["previous_hash"] != previous:
        raise Invalid("previous_hash does not link")
    if "metadata" in event and type(event["metadata"]) is not dict:
        raise Invalid("metadata is not an object")
    if ("stream_id" in event) != ("stream_version" in event):
        raise Invalid("stream_id and stream_version come together")
    place = event.get("batch")
    if "batch" in event:
        if type(place) is not dict or frozenset(place) != frozenset(["index", "size"]):
            raise Invalid("batch is not an object with exactly index and size")
        if not _natural(place["size"]) or place["size"] < 2:
            raise Invalid("batch.size is not an integer >= 2")
        if not _natural(place["index"]) or place["index"] >= place["size"]:
            raise Invalid("batch.index is not an integer in 0..size-1")
    opened = ledger["batch"]
    if opened is not None:
        start, index, size = opened
        if place is None or place["index"] != index + 1 or place["size"] != size:
            raise Invalid("the batch of %d starting at %d is cut at %d" % (size, start, position), at=start)
    elif place is not None and place["index"] != 0:
        raise Invalid("event %d of a batch with no batch open" % place["index"])
    stream = event.get("stream_id")
    if "stream_id" in event:
        version = event["stream_version"]
        if type(stream) is not str or stream == "":
            raise Invalid("stream_id is not a non-empty string")
        if not _natural(version):
            raise Invalid("stream_version %r is not a non-negative safe integer" % (version,))
        expected = ledger["versions"].get(stream, -1) + 1
        if version != expected:
            raise Invalid("stream %r: version %d, expected %d" % (stream, version, expected))
    key = _canonical(event["event_id"])
    if key in ledger["ids"]:
        raise Invalid("event_id %s repeats (first at %d)" % (key.decode("utf-8"), ledger["ids"][key]))
    ledger["ids"][key] = position
    if stream is not None:
        ledger["versions"][stream] = event["stream_version"]
    if place is not None:
        start = position if place["index"] == 0 else ledger["batch"][0]
        ledger["batch"] = None if place["index"] == place["size"] - 1 else (start, place["index"], place["size"])
    return stored


def verify(path):
    previous = GENESIS
    count = 0
    torn = 0
    ledger = {"versions": {}, "ids": {}, "batch": None}
    with open(path, "rb") as f:
        for raw in f:  # binary iteration splits on b"\n" only
            if not raw.endswith(b"\n"):
                torn = len(raw)  # the last piece, without its newline: an unfinished write
                break
            try:
                previous = check_line(raw[:-1], count, previous, ledger)
            except Invalid as e:
                at = count if e.at is None else e.at
                return {"valid": False, "break_at": at, "count": at, "reason": str(e)}
            count += 1
    if ledger["batch"] is not None:
        start, index, size = ledger["batch"]
        unfinished = {"sequence": start, "events": count - start, "size": size}
        return {"valid": True, "break_at": None, "count": start, "torn_bytes": torn, "unfinished_batch": unfinished}
    return {"valid": True, "break_at": None, "count": count, "torn_bytes": torn}


def _on_big_stack(fn):
    """Runs fn on a thread whose stack and recursion limit no ledger line can exhaust."""
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as e:  # reported to the caller, never turned into a verdict
            box["error"] = "%s: %s" % (type(e).__name__, e)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return box


def main(argv):
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)  # integers of any length are valid JSON
    sys.setrecursionlimit(1_000_000)
    threading.stack_size(1 << 30)
    if argv[1:] == ["--batch"]:
        for line in sys.stdin.buffer:
            path = line.rstrip(b"\n").decode("utf-8")
            box = _on_big_stack(lambda: verify(path))
            sys.stdout.write(json.dumps(box.get("value") or {"error": box.get("error")}) + "\n")
            sys.stdout.flush()
        return 0
    if len(argv) != 2:
        sys.stderr.write("usage: oracle.py FILE | oracle.py --batch\n")
        return 2
    box = _on_big_stack(lambda: verify(argv[1]))
    if "error" in box:
        sys.stderr.write("oracle.py: %s\n" % box["error"])
        return 2
    sys.stdout.write(json.dumps(box["value"]) + "\n")
    return 0 if box["value"]["valid"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
