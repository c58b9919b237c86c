// Exact decimal sums for signal values. The ledger's byte contract has no floats, so deltas
// arrive as integers or decimal strings and totals are kept as decimal strings.

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

interface Scaled {
  readonly units: bigint;
  readonly scale: number;
}

function parse(value: number | string): Scaled {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`delta: expected an integer or a decimal string, got ${value}`);
    return { units: BigInt(value), scale: 0 };
  }
  const m = DECIMAL.exec(value);
  if (!m) throw new RangeError(`delta: expected a decimal string like "-0.25", got ${JSON.stringify(value)}`);
  const fraction = m[3] ?? '';
  const units = BigInt(`${m[2]}${fraction}`);
  return { units: m[1] ? -units : units, scale: fraction.length };
}

function format({ units, scale }: Scaled): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const int = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale).replace(/0+$/, '');
  const text = frac ? `${int}.${frac}` : int;
  return negative && text !== '0' ? `-${text}` : text;
}

/**
 * `a + b` exactly, as a normalised decimal string (no trailing zeros, no "-0").
 *
 * @example
 * addDecimal('0.1', '0.2') === '0.3';
 * addDecimal('1', -3) === '-2';
 */
export function addDecimal(a: number | string, b: number | string): string {
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.scale, y.scale);
  const units = x.units * 10n ** BigInt(scale - x.scale) + y.units * 10n ** BigInt(scale - y.scale);
  return format({ units, scale });
}
