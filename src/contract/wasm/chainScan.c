// The chain scan of canonicalLine.ts (scanChainLine) over a batch of lines in one call, compiled
// to WebAssembly (scripts/build-wasm.sh). Freestanding C: no libc, no recursion (nesting is an
// explicit stack; deeper than it, the line is declined and the JavaScript reference judges it).
// Per line it accepts only what scanChainLine accepts, and additionally checks the sequence
// and the link to the stored hash of the line before; it then moves the line's head over the
// `,"hash":"..."` member so the SHA-256 input is contiguous, and writes a record. The first
// line it declines ends the call: JavaScript takes that line on its reference path, so every
// verdict and reason comes from the same code as without this module.

#include <wasm_simd128.h>

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

#define QUOTE 0x22
#define BACKSLASH 0x5c
#define MAX_DEPTH 1024
#define MAX_SAFE 9007199254740991ULL

// Record layout (bytes), shared with chainScanner.ts.
#define R_IN_FROM 0
#define R_IN_LEN 4
#define R_ID_FROM 8
#define R_ID_TO 12
#define R_FLAGS 16
#define R_UUID 20
#define R_STREAM_FROM 36
#define R_STREAM_TO 40
#define R_STREAM_VERSION 48
#define R_PRINT 56
#define R_HASH 64
#define RECORD 96

#define F_UUID 1
#define F_SAFE 2
#define F_STREAM 4
#define F_STREAM_ESCAPED 8
#define F_STREAM_NONASCII 16

// Memory itself (address 0, passed in so that the compiler cannot see a null pointer).
static const u8 *B;
static int E;  // end of the line being scanned (exclusive)
static int escaped;
static int safe;
static u8 kinds[MAX_DEPTH];
static int keyFrom[MAX_DEPTH];
static int keyTo[MAX_DEPTH];
static u8 keyEscaped[MAX_DEPTH];

// Every byte -1, then the digits (a range default overridden on purpose).
#pragma clang diagnostic ignored "-Winitializer-overrides"
static const signed char HEX[256] = {
  [0 ... 255] = -1, ['0'] = 0, ['1'] = 1, ['2'] = 2, ['3'] = 3, ['4'] = 4, ['5'] = 5, ['6'] = 6, ['7'] = 7, ['8'] = 8, ['9'] = 9,
  ['a'] = 10, ['b'] = 11, ['c'] = 12, ['d'] = 13, ['e'] = 14, ['f'] = 15,
};
static int hexLower(u8 c) { return HEX[c]; }

// Well-formed UTF-8: no overlongs, no surrogates, nothing above U+10FFFF (as isUtf8).
static int utf8(int i, int e) {
  while (i < e) {
    if (i + 16 <= e) {
      if (wasm_i8x16_bitmask(wasm_v128_load(B + i)) == 0) {
        i += 16;
        continue;
      }
    }
    u8 c = B[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    int n;
    u8 lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    } else return 0;
    if (i + n > e) return 0;
    if (B[i + 1] < lo || B[i + 1] > hi) return 0;
    for (int k = 2; k < n; k++)
      if (B[i + k] < 0x80 || B[i + k] > 0xbf) return 0;
    i += n;
  }
  return 1;
}

static int str(int p) {
  escaped = 0;
  int i = p + 1;
  const v128_t quote = wasm_i8x16_splat(QUOTE), backslash = wasm_i8x16_splat(BACKSLASH), space = wasm_i8x16_splat(0x20);
  for (;;) {
    // 16 bytes at a time to the next quote, backslash or control character.
    if (i + 16 <= E) {
      v128_t v = wasm_v128_load(B + i);
      u32 bits = (u32)wasm_i8x16_bitmask(wasm_v128_or(wasm_v128_or(wasm_i8x16_eq(v, quote), wasm_i8x16_eq(v, backslash)), wasm_u8x16_lt(v, space)));
      if (bits == 0) {
        i += 16;
        continue;
      }
      i += __builtin_ctz(bits);
    } else {
      while (i < E && B[i] != QUOTE && B[i] != BACKSLASH && B[i] >= 0x20) i++;
      if (i >= E) return -1;
    }
    u8 c = B[i];
    if (c == QUOTE) return i + 1;
    if (c != BACKSLASH) return -1;  // a raw control character
    escaped = 1;
    if (i + 1 >= E) return -1;
    u8 x = B[i + 1];
    if (x == 0x22 || x == 0x5c || x == 'b' || x == 'f' || x == 'n' || x == 'r' || x == 't') {
      i += 2;
      continue;
    }
    if (x == 'u' && i + 5 < E && B[i + 2] == '0' && B[i + 3] == '0') {
      u8 h = B[i + 4];
      int low = hexLower(B[i + 5]);
      if ((h == '0' || h == '1') && low >= 0) {
        int code = (h - '0') * 16 + low;
        if (code != 0x08 && code != 0x09 && code != 0x0a && code != 0x0c && code != 0x0d) {
          i += 6;
          continue;
        }
      }
    }
    return -1;
  }
}

// The next byte a validated string literal stands for, from *pi (escapes decoded).
static int unescapedAt(int *pi) {
  int i = *pi;
  u8 c = B[i];
  if (c != BACKSLASH) {
    *pi = i + 1;
    return c;
  }
  u8 x = B[i + 1];
  if (x == 'u') {
    *pi = i + 6;
    return (B[i + 4] - '0') * 16 + hexLower(B[i + 5]);
  }
  *pi = i + 2;
  return x == 'b' ? 0x08 : x == 'f' ? 0x0c : x == 'n' ? 0x0a : x == 'r' ? 0x0d : x == 't' ? 0x09 : x;
}

// True if the key at [k0, k1) sorts strictly after the one at [p0, p1) (code-point order).
static int after(int p0, int p1, int pEsc, int k0, int k1, int kEsc) {
  int i = p0 + 1, j = k0 + 1;
  const int pe = p1 - 1, ke = k1 - 1;
  if (!pEsc && !kEsc) {
    // Neither holds an escape (every key a writer stores): the bytes themselves.
    for (; i < pe && j < ke; i++, j++)
      if (B[i] != B[j]) return B[i] < B[j];
    return i >= pe && j < ke;
  }
  for (;;) {
    if (i >= pe) return j < ke;
    if (j >= ke) return 0;
    int x = unescapedAt(&i);
    int y = unescapedAt(&j);
    if (x != y) return x < y;
  }
}

static int integer(int p) {
  int i = p;
  int negative = i < E && B[i] == '-';
  if (negative) i++;
  if (i >= E) return -1;
  u8 first = B[i];
  if (first == '0') i++;
  else if (first >= '1' && first <= '9') {
    i++;
    while (i < E && B[i] >= '0' && B[i] <= '9') i++;
  } else return -1;
  if (negative && i - p == 2 && first == '0') return -1;
  if (i < E && (B[i] == '.' || B[i] == 'e' || B[i] == 'E')) return -1;
  int digits = negative ? i - p - 1 : i - p;
  if (digits > 16) safe = 0;
  else if (digits == 16) {
    u64 v = 0;
    for (int k = i - 16; k < i; k++) v = v * 10 + (B[k] - '0');
    if (v > MAX_SAFE) safe = 0;
  }
  return i;
}

static int key(int p, int top) {
  if (p >= E || B[p] != QUOTE) return -1;
  int e = str(p);
  if (e < 0) return -1;
  if (keyFrom[top] >= 0 && !after(keyFrom[top], keyTo[top], keyEscaped[top], p, e, escaped)) return -1;
  keyFrom[top] = p;
  keyTo[top] = e;
  keyEscaped[top] = (u8)escaped;
  return e < E && B[e] == ':' ? e + 1 : -1;
}

#define OBJECT 1
#define ARRAY 2

static int lit(int p, const char *s, int n) {
  if (p + n > E) return -1;
  int k = 0;
  // Eight bytes at a time (the member prefixes are 8 to 18 bytes).
  for (; k + 8 <= n; k += 8) {
    u64 a, b;
    __builtin_memcpy(&a, B + p + k, 8);
    __builtin_memcpy(&b, s + k, 8);
    if (a != b) return -1;
  }
  for (; k < n; k++)
    if (B[p + k] != (u8)s[k]) return -1;
  return p + n;
}

static int value(int p) {
  int depth = 0;
  for (;;) {
    if (p >= E) return -1;
    u8 c = B[p];
    if (c == QUOTE) p = str(p);
    else if (c == '{') {
      if (p + 1 < E && B[p + 1] == '}') p += 2;
      else {
        if (depth == MAX_DEPTH) return -1;  // declined: the reference judges it at any depth
        kinds[depth] = OBJECT;
        keyFrom[depth] = -1;
        p = key(p + 1, depth);
        depth++;
        if (p < 0) return -1;
        continue;
      }
    } else if (c == '[') {
      if (p + 1 < E && B[p + 1] == ']') p += 2;
      else {
        if (depth == MAX_DEPTH) return -1;
        kinds[depth++] = ARRAY;
        p++;
        continue;
      }
    } else if (c == 't') p = lit(p, "true", 4);
    else if (c == 'f') p = lit(p, "false", 5);
    else if (c == 'n') p = lit(p, "null", 4);
    else p = integer(p);
    if (p < 0) return -1;
    for (;;) {
      if (depth == 0) return p;
      int top = depth - 1;
      if (p >= E) return -1;
      u8 d = B[p];
      if (d == ',') {
        p++;
        if (kinds[top] == OBJECT) {
          p = key(p, top);
          if (p < 0) return -1;
        }
        break;
      }
      if (d != (kinds[top] == OBJECT ? '}' : ']')) return -1;
      p++;
      depth--;
    }
  }
}

static const char *const PREFIX[12] = {
  "{\"event_id\":", ",\"event_type\":", ",\"hash\":", ",\"metadata\":", ",\"payload\":", ",\"previous_hash\":",
  ",\"provenance\":", ",\"schema_version\":", ",\"sequence\":", ",\"stream_id\":", ",\"stream_version\":", ",\"timestamp\":",
};
static const u8 PREFIX_LEN[12] = {12, 14, 8, 12, 11, 17, 14, 18, 12, 13, 18, 13};
static const u8 OPTIONAL[12] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0};
enum { EVENT_ID = 0, HASH = 2, METADATA = 3, PREVIOUS_HASH = 5, SEQUENCE = 8, STREAM_ID = 9, STREAM_VERSION = 10 };

// 32 lowercase hex digits at q into 16 bytes at out; 0 if any is not one.
static int hex32(int q, u8 *out) {
  v128_t a = wasm_v128_load(B + q), b = wasm_v128_load(B + q + 16);
  const v128_t zero = wasm_i8x16_splat('0' - 1), nine = wasm_i8x16_splat('9' + 1), la = wasm_i8x16_splat('a' - 1), lf = wasm_i8x16_splat('f' + 1);
  v128_t okA = wasm_v128_or(wasm_v128_and(wasm_u8x16_gt(a, zero), wasm_u8x16_lt(a, nine)), wasm_v128_and(wasm_u8x16_gt(a, la), wasm_u8x16_lt(a, lf)));
  v128_t okB = wasm_v128_or(wasm_v128_and(wasm_u8x16_gt(b, zero), wasm_u8x16_lt(b, nine)), wasm_v128_and(wasm_u8x16_gt(b, la), wasm_u8x16_lt(b, lf)));
  if (!wasm_i8x16_all_true(wasm_v128_and(okA, okB))) return 0;
  // Digit value: low nibble, plus 9 for a letter (bit 6 set).
  const v128_t f = wasm_i8x16_splat(0x0f), nine9 = wasm_i8x16_splat(9);
  a = wasm_i8x16_add(wasm_v128_and(a, f), wasm_v128_and(wasm_i8x16_shr(wasm_i8x16_shl(a, 1), 7), nine9));
  b = wasm_i8x16_add(wasm_v128_and(b, f), wasm_v128_and(wasm_i8x16_shr(wasm_i8x16_shl(b, 1), 7), nine9));
  // Each 16-bit lane holds (first digit, second digit): byte = first << 4 | second.
  v128_t wa = wasm_v128_or(wasm_i16x8_shl(wasm_v128_and(a, wasm_i16x8_splat(0xff)), 4), wasm_u16x8_shr(a, 8));
  v128_t wb = wasm_v128_or(wasm_i16x8_shl(wasm_v128_and(b, wasm_i16x8_splat(0xff)), 4), wasm_u16x8_shr(b, 8));
  wasm_v128_store(out, wasm_u8x16_narrow_i16x8(wa, wb));
  return 1;
}

static int shaLiteral(int p, u8 *out) {
  if (p + 73 > E) return -1;
  if (lit(p, "\"sha256:", 8) < 0) return -1;
  u8 tmp[32];
  if (!hex32(p + 8, tmp) || !hex32(p + 40, tmp + 16)) return -1;
  __builtin_memcpy(out, tmp, 32);
  return B[p + 72] == QUOTE ? p + 73 : -1;
}

static int uuidLiteral(int p, u32 *u) {
  if (p + 38 > E || B[p] != QUOTE || B[p + 37] != QUOTE || B[p + 9] != '-' || B[p + 14] != '-' || B[p + 19] != '-' || B[p + 24] != '-') return -1;
  u32 w = 0;
  int k = 0;
  for (int i = p + 1; i < p + 37; i++) {
    if (i == p + 9 || i == p + 14 || i == p + 19 || i == p + 24) continue;
    int h = hexLower(B[i]);
    if (h < 0) return -1;
    w = (w << 4) | (u32)h;
    if ((++k & 7) == 0) u[(k >> 3) - 1] = w;
  }
  return p + 38;
}

// A non-negative integer of at most 16 digits at [v0, end), or -1 if unsafe.
static long long natural(int v0, int end) {
  if (B[v0] == '-' || end - v0 > 16) return -1;
  u64 n = 0;
  for (int i = v0; i < end; i++) n = n * 10 + (B[i] - '0');
  return n > MAX_SAFE ? -1 : (long long)n;
}

static u8 previous[32];
static long long sequence;
static int hashFrom, hashTo;

// scanChainLine on [s, e) into the record at r; 1 if accepted.
static int scanLine(int s, int e, u8 *r) {
  E = e;
  if (!utf8(s, e)) return 0;
  safe = 1;
  u32 flags = 0;
  int pos = s;
  long long streamVersion = -1;
  int hasStream = 0;
  hashFrom = -1;
  for (int f = 0; f < 12; f++) {
    if (lit(pos, PREFIX[f], PREFIX_LEN[f]) < 0) {
      if (OPTIONAL[f]) continue;
      return 0;
    }
    int memberStart = pos;
    pos += PREFIX_LEN[f];
    int v0 = pos;
    if (f == HASH || f == PREVIOUS_HASH) {
      if ((pos = shaLiteral(pos, f == HASH ? r + R_HASH : previous)) < 0) return 0;
      if (f == HASH) {
        hashFrom = memberStart;
        hashTo = pos;
      }
    } else if (f == STREAM_ID) {
      if (pos >= E || B[pos] != QUOTE || (pos = str(pos)) < 0) return 0;
      if (pos - v0 == 2) return 0;
      hasStream = 1;
      flags |= F_STREAM;
      if (escaped) flags |= F_STREAM_ESCAPED;
      for (int i = v0 + 1; i < pos - 1; i++)
        if (B[i] >= 0x80) {
          flags |= F_STREAM_NONASCII;
          break;
        }
      *(u32 *)(r + R_STREAM_FROM) = (u32)v0;
      *(u32 *)(r + R_STREAM_TO) = (u32)pos;
    } else if (f == SEQUENCE || f == STREAM_VERSION) {
      if ((pos = integer(pos)) < 0) return 0;
      long long n = natural(v0, pos);
      if (n < 0) return 0;
      if (f == SEQUENCE) sequence = n;
      else streamVersion = n;
    } else {
      if (f == METADATA && (pos >= E || B[pos] != '{')) return 0;
      if (f == EVENT_ID) {
        int q = uuidLiteral(pos, (u32 *)(r + R_UUID));
        if (q >= 0) {
          flags |= F_UUID;
          pos = q;
        } else if ((pos = value(pos)) < 0) return 0;
        *(u32 *)(r + R_ID_FROM) = (u32)v0;
        *(u32 *)(r + R_ID_TO) = (u32)pos;
      } else if ((pos = value(pos)) < 0) return 0;
    }
  }
  if (pos != E - 1 || B[pos] != '}') return 0;
  if (hasStream != (streamVersion >= 0)) return 0;
  if (safe) flags |= F_SAFE;
  *(u32 *)(r + R_FLAGS) = flags;
  *(double *)(r + R_STREAM_VERSION) = (double)streamVersion;
  return 1;
}

// The event_id's 64-bit keyed fingerprint, bit for bit eventChecks.ts' fingerprintUuid and
// fingerprint (the two paths feed one table, so they must agree: wasmScanner.spec checks it).
static u32 rotl(u32 x, int r) { return (x << r) | (x >> (32 - r)); }

static void printUuid(const u32 *w, const u32 *key, u32 *out) {
  u32 a = ((w[0] ^ key[2]) * (key[6] | 1)) ^ ((w[2] ^ key[4]) * (key[7] | 1));
  u32 b = ((w[1] ^ key[3]) * (key[7] | 1)) ^ ((w[3] ^ key[5]) * (key[6] | 1));
  a = ((a ^ (a >> 16) ^ w[1]) * 0x85ebca6bu) ^ key[0];
  b = ((b ^ (b >> 16) ^ w[2]) * 0xc2b2ae35u) ^ key[1];
  a = (a ^ (a >> 13) ^ w[3]) * 0xc2b2ae35u;
  b = (b ^ (b >> 13) ^ w[0]) * 0x85ebca6bu;
  a ^= b >> 15;
  b ^= a >> 16;
  a = (a ^ (a >> 16)) * 0x85ebca6bu;
  a ^= a >> 13;
  b = (b ^ (b >> 16)) * 0xc2b2ae35u;
  b ^= b >> 16;
  out[0] = a;
  out[1] = b == 0 && a == 0 ? 1 : b;
}

static void printBytes(const u8 *p, u32 n, const u32 *key, u32 *out) {
  u32 a = key[0] ^ n;
  u32 b = key[1] ^ (n * 0x9e3779b1u);
  u32 i = 0;
  for (; i + 4 <= n; i += 4) {
    u32 x = (u32)p[i] | ((u32)p[i + 1] << 8) | ((u32)p[i + 2] << 16) | ((u32)p[i + 3] << 24);
    x *= 0xcc9e2d51u;
    x = rotl(x, 15) * 0x1b873593u;
    a ^= x;
    a = rotl(a, 13) * 5 + 0xe6546b64u;
    b = (b ^ x ^ (a >> 7)) * 0x85ebca6bu;
  }
  u32 x = 0;
  for (int s = 0; i < n; i++, s += 8) x |= (u32)p[i] << s;
  x *= 0xcc9e2d51u;
  a ^= rotl(x, 15) * 0x1b873593u;
  b ^= x;
  a ^= b >> 13;
  a = (a ^ (a >> 16)) * 0x85ebca6bu;
  a = (a ^ (a >> 13)) * 0xc2b2ae35u;
  a ^= a >> 16;
  b ^= a >> 11;
  b = (b ^ (b >> 16)) * 0x85ebca6bu;
  b = (b ^ (b >> 13)) * 0xc2b2ae35u;
  b ^= b >> 16;
  out[0] = a;
  out[1] = b == 0 && a == 0 ? 1 : b;
}

/**
 * `key`: the run's fingerprint key (8 words), or 0 for none; with it, each accepted line's
 * event_id fingerprint is at R_PRINT (two words).
 * `memory`: 0 (offsets in the table are addresses). Scans lines[k] = [table[2k], table[2k+1]) for k < n in order; line k must carry sequence
 * `expected + k` and link to `link` (32 bytes: the hash before the first line, then each
 * accepted line's stored hash, updated in place). Returns how many leading lines were accepted;
 * records[k] describes line k, whose hash input is then [R_IN_FROM, +R_IN_LEN).
 */
__attribute__((export_name("scan_batch"))) u32 scan_batch(const u8 *memory, const u32 *table, u32 n, double expected, u8 *link, u8 *records, const u32 *key) {
  B = memory;
  u32 k = 0;
  for (; k < n; k++) {
    int s = (int)table[2 * k], e = (int)table[2 * k + 1];
    u8 *r = records + RECORD * k;
    if (!scanLine(s, e, r)) break;
    if ((double)sequence != expected + (double)k) break;
    int same = 1;
    for (int i = 0; i < 32; i++) same &= previous[i] == link[i];
    if (!same) break;
    __builtin_memcpy(link, r + R_HASH, 32);
    if (key) {
      u32 flags = *(u32 *)(r + R_FLAGS);
      if (flags & F_UUID) printUuid((const u32 *)(r + R_UUID), key, (u32 *)(r + R_PRINT));
      else {
        u32 f = *(u32 *)(r + R_ID_FROM);
        printBytes(B + f, *(u32 *)(r + R_ID_TO) - f, key, (u32 *)(r + R_PRINT));
      }
    }
    // The head moves right over the hash member: the SHA-256 input is [s + cut, e).
    int cut = hashTo - hashFrom;
    __builtin_memmove((u8 *)B + s + cut, B + s, (u32)(hashFrom - s));
    *(u32 *)(r + R_IN_FROM) = (u32)(s + cut);
    *(u32 *)(r + R_IN_LEN) = (u32)(e - s - cut);
    *(u32 *)(r + R_ID_FROM) += (u32)cut;
    *(u32 *)(r + R_ID_TO) += (u32)cut;
  }
  return k;
}

// Bit t set: some repeated first word has top 16 bits t (most entries are ruled out by one load).
static u32 topBits[2048];

/**
 * The entries of n fingerprints (`p`: two words each, n >= 1) whose first word is held by more
 * than one entry: their indexes, ascending, are written from `scratch` (4n bytes) on, and
 * their count returned (eventChecks.ts' equalPrints then groups them by both words). `p` is
 * consumed: its first half ends as the first words in order, its second half as their sorted
 * copy. An LSD radix sort, three 11-bit passes (2048 buckets stay in cache); compiled code
 * from the first entry on, where a JavaScript loop over a million entries runs mostly before
 * it is optimised.
 */
__attribute__((export_name("repeat_candidates"))) u32 repeat_candidates(u32 *p, u32 n, u32 *scratch) {
  static u32 count[2048];
  for (u32 i = 0; i < n; i++) p[i] = p[2 * i];
  u32 *a = p + n, *b = scratch;
  __builtin_memcpy(a, p, 4 * n);
  for (int shift = 0; shift < 32; shift += 11) {
    __builtin_memset(count, 0, sizeof count);
    for (u32 i = 0; i < n; i++) count[(a[i] >> shift) & 0x7ff]++;
    for (u32 d = 0, sum = 0; d < 2048; d++) {
      u32 c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (u32 i = 0; i < n; i++) {
      u32 v = a[i];
      b[count[(v >> shift) & 0x7ff]++] = v;
    }
    u32 *t = a;
    a = b;
    b = t;
  }
  // a: sorted. The values held more than once, each once, ascending, into b.
  u32 r = 0;
  __builtin_memset(topBits, 0, sizeof topBits);
  for (u32 j = 1; j < n; j++) {
    u32 v = a[j];
    if (v == a[j - 1] && (r == 0 || b[r - 1] != v)) {
      b[r++] = v;
      topBits[v >> 21] |= 1u << ((v >> 16) & 31);
    }
  }
  if (r == 0) return 0;
  // Indexes (ascending) of the entries holding one of them, into scratch (a, b no longer needed).
  u32 out = 0;
  u32 *rep = b;
  if (rep == scratch) {
    // The list must not be overwritten by the indexes: move it to the free half first.
    __builtin_memcpy(p + n, rep, 4 * r);
    rep = p + n;
  }
  for (u32 i = 0; i < n; i++) {
    u32 v = p[i];
    if (!(topBits[v >> 21] & (1u << ((v >> 16) & 31)))) continue;
    u32 lo = 0, hi = r;
    while (lo < hi) {
      u32 m = (lo + hi) >> 1;
      if (rep[m] < v) lo = m + 1;
      else hi = m;
    }
    if (lo < r && rep[lo] == v) scratch[out++] = i;
  }
  return out;
}

/**
 * The first of `n` records whose stored hash (R_HASH) differs from its line's digest (32 bytes
 * each, in order, at `digests`), or n: one call per run instead of a JavaScript compare per line.
 */
__attribute__((export_name("first_mismatch"))) u32 first_mismatch(const u8 *records, u32 n, const u8 *digests) {
  for (u32 i = 0; i < n; i++) {
    const u8 *h = records + i * RECORD + R_HASH, *d = digests + 32 * i;
    u32 diff = 0;
    for (int k = 0; k < 32; k++) diff |= h[k] ^ d[k];
    if (diff != 0) return i;
  }
  return n;
}

/**
 * A range's fingerprints sorted by first word for printRuns' merge (printRuns.ts' sortPrints
 * is the reference): `p` holds n entries (two words each); writes their indexes ordered by
 * first word, stable (equal first words keep ascending indexes), to `order`, and those first
 * words in that order to `keys` (4n bytes each); `p` is consumed (scratch). An LSD
 * radix sort of (word, index) pairs in three 11-bit passes, the three histograms counted in
 * one read; each pass is stable, so the whole is. 16 bytes an entry in all, not 24: less module
 * memory to grow and touch (each fresh page costs a fault) beyond what the scan already used.
 */
__attribute__((export_name("sort_prints"))) void sort_prints(u32 *p, u32 n, u32 *order, u32 *keys) {
  static u32 count[3][2048];
  __builtin_memset(count, 0, sizeof count);
  for (u32 i = 0; i < n; i++) {
    u32 v = p[2 * i];
    count[0][v & 0x7ff]++;
    count[1][(v >> 11) & 0x7ff]++;
    count[2][v >> 22]++;
  }
  for (int k = 0; k < 3; k++) {
    for (u32 d = 0, sum = 0; d < 2048; d++) {
      u32 c = count[k][d];
      count[k][d] = sum;
      sum += c;
    }
  }
  // Pass 1 reads the entries in place (index i), into keys/order; 2 into p's area, free by then
  // (words tk, indexes ti); 3 back into keys/order.
  u32 *tk = p, *ti = p + n;
  for (u32 i = 0; i < n; i++) {
    u32 v = p[2 * i];
    u32 at = count[0][v & 0x7ff]++;
    keys[at] = v;
    order[at] = i;
  }
  for (u32 j = 0; j < n; j++) {
    u32 v = keys[j];
    u32 at = count[1][(v >> 11) & 0x7ff]++;
    tk[at] = v;
    ti[at] = order[j];
  }
  for (u32 j = 0; j < n; j++) {
    u32 v = tk[j];
    u32 at = count[2][v >> 22]++;
    keys[at] = v;
    order[at] = ti[j];
  }
}
