// Turns io-ts decode failures into a LedgerValidationError naming the path and the value.
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { childPath } from './canonicalJson.js';
import { LedgerValidationError } from '../errors/errors.js';

function pathOf(context: t.Context): string {
  let path = '';
  for (let i = 1; i < context.length; i++) {
    const parent = context[i - 1]!.type;
    // Intersection and union members appear in the context under their index: not a field.
    if (parent instanceof t.IntersectionType || parent instanceof t.UnionType) continue;
    const key = context[i]!.key;
    path = childPath(path, Array.isArray(context[i - 1]!.actual) ? Number(key) : key);
  }
  return path;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** The first error of a failed decode, as a thrown-ready LedgerValidationError. */
export function toValidationError(errors: t.Errors, prefix = ''): LedgerValidationError {
  const e = errors[0]!;
  // A failed union fails in every member: name the union, not its first member.
  const u = e.context.findIndex((c) => c.type instanceof t.UnionType);
  if (u >= 0) {
    const c = e.context[u]!;
    return new LedgerValidationError(childPathJoin(prefix, pathOf(e.context.slice(0, u + 1))), `expected ${c.type.name}, got ${show(c.actual)}`, c.actual);
  }
  const path = childPathJoin(prefix, pathOf(e.context));
  const expected = e.message ?? `expected ${e.context[e.context.length - 1]!.type.name}`;
  return new LedgerValidationError(path, `${expected}, got ${show(e.value)}`, e.value);
}

const childPathJoin = (a: string, b: string): string => (a && b ? (b.startsWith('[') ? a + b : `${a}.${b}`) : a || b);

/** Decodes with `codec` or throws LedgerValidationError; `prefix` roots the reported path. */
export function decodeOrThrow<A>(codec: t.Decoder<unknown, A>, value: unknown, prefix = ''): A {
  const result = codec.decode(value);
  if (isLeft(result)) throw toValidationError(result.left, prefix);
  return result.right;
}
