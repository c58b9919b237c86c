// The decode boundary: io-ts decoding as an fp-ts Either whose Left is a LedgerValidationError
// naming the path and the value. Code that composes checks stays in Either (`decode`, `pipe`,
// `chain`); the promise and CLI boundaries turn a Left into a throw (`decodeOrThrow`, `orThrow`).
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { childPath } from './canonicalJson.js';
import { LedgerValidationError } from '../errors/errors.js';

// io-ts names a brand by its key ("NonEmptyString"); a caller is told what was expected in words.
const descriptions = new WeakMap<t.Decoder<unknown, unknown>, string>();

/** Gives `codec` the words a validation error uses for it ("expected <description>"). */
export function describeCodec<C extends t.Decoder<unknown, unknown>>(codec: C, description: string): C {
  descriptions.set(codec, description);
  return codec;
}

const expectedOf = (codec: t.Decoder<unknown, unknown>): string => descriptions.get(codec) ?? codec.name;

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

const childPathJoin = (a: string, b: string): string => (a && b ? (b.startsWith('[') ? a + b : `${a}.${b}`) : a || b);

/** The first error of a failed decode, as a LedgerValidationError; `prefix` roots the path. */
export function toValidationError(errors: t.Errors, prefix = ''): LedgerValidationError {
  const e = errors[0]!;
  // A failed union fails in every member: name the union, not its first member.
  const u = e.context.findIndex((c) => c.type instanceof t.UnionType);
  if (u >= 0) {
    const c = e.context[u]!;
    return new LedgerValidationError(childPathJoin(prefix, pathOf(e.context.slice(0, u + 1))), `expected ${expectedOf(c.type)}, got ${show(c.actual)}`, c.actual);
  }
  const path = childPathJoin(prefix, pathOf(e.context));
  const expected = e.message ?? `expected ${expectedOf(e.context[e.context.length - 1]!.type)}`;
  return new LedgerValidationError(path, `${expected}, got ${show(e.value)}`, e.value);
}

/** Decodes `value` with `codec`: Right the decoded value, Left a LedgerValidationError rooted at `prefix`. */
export function decode<A>(codec: t.Decoder<unknown, A>, value: unknown, prefix = ''): E.Either<LedgerValidationError, A> {
  return pipe(
    codec.decode(value),
    E.mapLeft((errors) => toValidationError(errors, prefix)),
  );
}

/** The Right value, or the Left error thrown: where Either meets a promise or the CLI. */
export function orThrow<L, A>(result: E.Either<L, A>): A {
  return pipe(
    result,
    E.getOrElse<L, A>((error) => {
      throw error;
    }),
  );
}

/** Decodes with `codec` or throws LedgerValidationError; `prefix` roots the reported path. */
export function decodeOrThrow<A>(codec: t.Decoder<unknown, A>, value: unknown, prefix = ''): A {
  return orThrow(decode(codec, value, prefix));
}
