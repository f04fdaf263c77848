/**
 * Kubernetes resource quantities (`500m`, `1.5`, `512Mi`, `1G`, `2e3`, `600000000n`):
 * the one parser and formatter K2 uses for CPU and memory.
 *
 * Grammar, as in k8s.io/apimachinery `resource.Quantity`:
 *
 *   quantity ::= sign? number suffix
 *   number   ::= digits | digits "." digits? | "." digits
 *   suffix   ::= "" | binarySI | decimalSI | ("e" | "E") sign? digits
 *   binarySI ::= Ki | Mi | Gi | Ti | Pi | Ei
 *   decimalSI::= n | u | m | k | M | G | T | P | E
 *
 * Values are computed exactly (BigInt), so `1.1` is 1100 millicores, not 1101. Like
 * Kubernetes, a value finer than the unit asked for is rounded up (`0.1m` CPU is 1
 * millicore). Unlike Kubernetes, which caps at 2^63 - 1, anything larger is rejected, and
 * so is anything non-zero below 1e-30: no request or limit is that size, and a caller
 * can answer with a clear 400 instead of storing `Infinity`.
 *
 * @packageDocumentation
 */

const QUANTITY =
  /^([+-])?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:([eE])([+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

const DECIMAL_SI: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

const BINARY_SI: Record<string, number> = {
  Ki: 10,
  Mi: 20,
  Gi: 30,
  Ti: 40,
  Pi: 50,
  Ei: 60,
};

/** Kubernetes' own bound: 2^63 - 1. */
const MAX_MAGNITUDE = 2n ** 63n - 1n;
/** Orders of magnitude: beyond this either way, the text is not a resource quantity. */
const MAX_DECIMAL_ORDER = 30;

/** An exact quantity: `sign * digits * 10^exp10 * 2^exp2`. */
interface Exact {
  negative: boolean;
  digits: bigint;
  exp10: number;
  exp2: number;
}

function parseExact(text: string): Exact | undefined {
  if (typeof text !== 'string' || text.length > 100) return undefined;
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const [, sign, number, e, exponent, suffix] = match;
  const [whole, fraction = ''] = number.split('.');
  const significant = `${whole}${fraction}`.replace(/^0+/, '');
  let exp10 = -fraction.length;
  let exp2 = 0;
  if (e) {
    const n = Number(exponent);
    // Out of range unless the number is zero; checked before BigInt sees the exponent.
    if (Math.abs(n) > 2 * MAX_DECIMAL_ORDER) {
      if (significant) return undefined;
    } else {
      exp10 += n;
    }
  } else if (suffix) {
    if (suffix in BINARY_SI) exp2 = BINARY_SI[suffix];
    else exp10 += DECIMAL_SI[suffix];
  }
  if (!significant) return { negative: false, digits: 0n, exp10: 0, exp2: 0 };
  // The decimal order of the leading digit, binary suffixes counted as ~0.3 per bit.
  const order = significant.length - 1 + exp10 + exp2 * Math.log10(2);
  if (order > 19 || order < -MAX_DECIMAL_ORDER) return undefined;
  const exact = {
    negative: sign === '-',
    digits: BigInt(significant),
    exp10,
    exp2,
  };
  // Exact check of the bound, so 9223372036854775808 is out and ...807 in.
  if (ceilScaled(exact, 0) > MAX_MAGNITUDE) return undefined;
  return exact;
}

/** |value| * 10^scale, rounded up to a whole number. */
function ceilScaled(q: Exact, scale: number): bigint {
  const exp10 = q.exp10 + scale;
  let numerator = q.digits * 2n ** BigInt(q.exp2);
  let denominator = 1n;
  if (exp10 >= 0) numerator *= 10n ** BigInt(exp10);
  else denominator = 10n ** BigInt(-exp10);
  return (numerator + denominator - 1n) / denominator;
}

/**
 * A quantity in its base unit (cores, bytes, or a plain count), as a float; undefined if
 * the text is not a quantity or its magnitude is out of range.
 */
export function parseQuantity(text: string): number | undefined {
  const q = parseExact(text);
  if (!q) return undefined;
  if (q.digits === 0n) return 0;
  const value = Number(`${q.digits}e${q.exp10}`) * 2 ** q.exp2;
  return q.negative ? -value : value;
}

function nonNegative(text: string, scale: number): number | undefined {
  const q = parseExact(text);
  if (!q || (q.negative && q.digits !== 0n)) return undefined;
  const value = ceilScaled(q, scale);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(value);
}

/**
 * Whole millicores of a CPU quantity: `2` → 2000, `0.5` → 500, `250m` → 250,
 * `600000000n` → 600. Finer values round up, as in Kubernetes (`0.1m` → 1).
 * Undefined if the text is not a non-negative quantity in range.
 */
export function parseCpuMillicores(text: string): number | undefined {
  return nonNegative(text, 3);
}

/**
 * Whole bytes of a memory quantity: `512Mi` → 536870912, `1G` → 1e9, `1.5Gi`,
 * `129e6`. Fractions of a byte round up. Undefined if the text is not a non-negative
 * quantity in range.
 */
export function parseMemoryBytes(text: string): number | undefined {
  return nonNegative(text, 0);
}

/** Millicores in the shortest exact notation Kubernetes reads: `1`, `1500m`, `250m`. */
export function formatCpu(millicores: number): string {
  const m = Math.ceil(millicores);
  return m % 1000 === 0 ? String(m / 1000) : `${m}m`;
}

/** Bytes as a memory quantity in whole Mi, or Gi when whole; rounded down to the Mi. */
export function formatMemory(bytes: number): string {
  const mi = Math.floor(bytes / 2 ** 20);
  return mi % 1024 === 0 && mi > 0 ? `${mi / 1024}Gi` : `${mi}Mi`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/**
 * Bytes for people to read, in binary units with at most one decimal where it matters:
 * `512 B`, `300 MiB`, `1.5 GiB`.
 */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown =
    unit === 0 || value >= 10 ? String(Math.round(value)) : value.toFixed(1);
  return `${shown.replace(/\.0$/, '')} ${BYTE_UNITS[unit]}`;
}
