#!/usr/bin/env python3
"""A strict, independent cold verifier of fmwk-ledger files (stdlib only).

It implements the README's byte contract from scratch, sharing no code with the TypeScript
verifier, and the hostile suite checks that both give the same answer for every file:

- the file is read as bytes; a line exists only once its newline does (bytes after the last
  newline are a torn tail: ignored, reported as torn_bytes);
- each line is strict UTF-8 (invalid bytes are invalid at that line);
- json.loads refuses duplicate keys (compared after unescaping), non-integer numbers, NaN and
  Infinity;
- the top-level object has exactly the base event's fields; sequence is an int (not a bool)
  equal to the line's position; hash and previous_hash are strings;
- hash = "sha256:" + sha256(canonical JSON of the event without "hash"), where canonical JSON
  is json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=False) encoded as
  UTF-8 (a lone surrogate from an escape cannot be encoded: invalid);
- previous_hash is genesis (sha256: + 64 zeros) for line 0, the hash of line n-1 after that.

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


class Invalid(Exception):
    """The line breaks the contract (the message says how)."""


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


def check_line(raw, position, previous):
    """The hash of the line at `position` (bytes, newline excluded), or raises Invalid."""
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
    if frozenset(event) != FIELDS:
        raise Invalid("fields are not exactly the base event's")
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
    return stored


def verify(path):
    previous = GENESIS
    count = 0
    torn = 0
    with open(path, "rb") as f:
        for raw in f:  # binary iteration splits on b"\n" only
            if not raw.endswith(b"\n"):
                torn = len(raw)  # the last piece, without its newline: an unfinished write
                break
            try:
                previous = check_line(raw[:-1], count, previous)
            except Invalid as e:
                return {"valid": False, "break_at": count, "count": count, "reason": str(e)}
            count += 1
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
