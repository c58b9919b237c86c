// fast-check arbitraries for JSON values weighted towards canonical JSON's traps: control
// characters, quotes, backslashes, DEL, U+2028/9, U+E000..U+FFFF, astral characters, empty and
// integer-like keys, safe integers at the edges, null.
import fc from 'fast-check';

/** Code points weighted towards the traps: controls, quotes, backslash, DEL, U+2028/9, BMP private use, astral. */
export const codePoint = fc.oneof(
  { arbitrary: fc.integer({ min: 0x20, max: 0x7e }), weight: 6 },
  { arbitrary: fc.constantFrom(0x22, 0x5c, 0x2f), weight: 2 },
  { arbitrary: fc.integer({ min: 0x00, max: 0x1f }), weight: 2 },
  { arbitrary: fc.constantFrom(0x7f, 0x80, 0x9f, 0xa0, 0x2028, 0x2029, 0xfeff, 0xfffd, 0xfffe, 0xffff, 0xe000), weight: 2 },
  { arbitrary: fc.integer({ min: 0x80, max: 0xd7ff }), weight: 2 },
  { arbitrary: fc.integer({ min: 0xe000, max: 0xffff }), weight: 2 },
  { arbitrary: fc.integer({ min: 0x10000, max: 0x10ffff }), weight: 2 },
);
export const ustring = fc.array(codePoint, { maxLength: 10 }).map((cps) => String.fromCodePoint(...cps));
export const key = fc.oneof(
  { arbitrary: ustring, weight: 5 },
  { arbitrary: fc.constantFrom('', '10', '9', '0', '1', '-1', '01', '1.5', 'a', 'A', 'hash', '__proto__', 'constructor', '\u{10000}', '\ue000', '\uffff'), weight: 2 },
  { arbitrary: fc.nat(1000).map(String), weight: 1 },
);
export const safeInt = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.constantFrom(0, -0, 1, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 31, -(2 ** 31), 2 ** 32, 10 ** 15),
);
export const leaf = fc.oneof(fc.constant(null), fc.boolean(), safeInt, ustring);
/** Object.fromEntries defines own data properties, so even `__proto__` is an ordinary key. */
export const { value: jsonValue, object: jsonObject } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.array(fc.tuple(key, tie('value')), { maxLength: 6 }).map((entries) => Object.fromEntries(entries)),
}));

const LONE = ['\ud800', '\udbff', '\udc00', '\udfff'];
export const withLoneSurrogate = fc
  .tuple(ustring, fc.constantFrom(...LONE), ustring)
  // A lone high surrogate followed by a low one would pair up: keep it lone.
  .map(([a, s, b]) => a + s + (s < '\udc00' ? 'x' : '') + b)
  .filter((s) => /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s));
