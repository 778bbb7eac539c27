// Exact decimals for money: a BigInt of units and a scale (digits after the point).
// Money is never a JavaScript number here; only chart coordinates are.

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** Parses a decimal string such as "1500000", "-12.34" or "0.3"; throws on anything else. */
export function parse(text) {
  const value = String(text ?? '0').trim() || '0';
  if (!DECIMAL.test(value)) throw new Error(`not a decimal: ${JSON.stringify(value)}`);
  const negative = value.startsWith('-');
  const [whole, fraction = ''] = value.replace('-', '').split('.');
  const units = BigInt(whole + fraction);
  return { units: negative ? -units : units, scale: fraction.length };
}

function aligned(a, b) {
  const scale = Math.max(a.scale, b.scale);
  const lift = (x) => x.units * 10n ** BigInt(scale - x.scale);
  return [lift(a), lift(b), scale];
}

export function add(a, b) {
  const [x, y, scale] = aligned(a, b);
  return { units: x + y, scale };
}

export function sub(a, b) {
  const [x, y, scale] = aligned(a, b);
  return { units: x - y, scale };
}

export function mul(a, b) {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

/** -1, 0 or 1. */
export function cmp(a, b) {
  const [x, y] = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export const zero = () => ({ units: 0n, scale: 0 });

/** The canonical text: no trailing fractional zeros, no point when whole. */
export function toText(a) {
  const negative = a.units < 0n;
  let digits = (negative ? -a.units : a.units).toString().padStart(a.scale + 1, '0');
  let whole = digits;
  let fraction = '';
  if (a.scale > 0) {
    whole = digits.slice(0, -a.scale);
    fraction = digits.slice(-a.scale).replace(/0+$/, '');
  }
  const text = fraction ? `${whole}.${fraction}` : whole;
  return negative && text !== '0' ? `-${text}` : text;
}

/** Whether two decimal strings denote the same number ("5" and "5.00" do). */
export function same(a, b) {
  return cmp(parse(a), parse(b)) === 0;
}

/** An approximate number, for drawing only. */
export function toNumber(a) {
  return Number(a.units) / 10 ** a.scale;
}

/** "36022284000" → "36,022,284,000"; exact, whatever the size. */
export function group(text) {
  const value = toText(parse(text));
  const negative = value.startsWith('-');
  const [whole, fraction] = value.replace('-', '').split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (negative ? '-' : '') + grouped + (fraction ? `.${fraction}` : '');
}
