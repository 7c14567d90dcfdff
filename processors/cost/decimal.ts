// Exact decimal money arithmetic on BigInt. Amounts are integers of 10^-24 USD, so a
// token count times a per-million-token price with up to 18 decimals is exact; results
// are written with at most 12 decimals (the storage column is Decimal(38, 12)).

/** Internal scale: 10^-24 USD. */
export const UNIT_SCALE = 24;
/** Decimals of every USD string this module writes. */
export const USD_DECIMALS = 12;
/** Decimals a per-million-token price may have (token × price then fits UNIT_SCALE exactly). */
export const PRICE_DECIMALS = UNIT_SCALE - 6;

const DECIMAL = /^(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
const TEN = 10n;

/** Whether `text` is a plain non-negative decimal (`12`, `0.075`); no sign, no exponent. */
export function isPlainDecimal(text: string): boolean {
  return /^\d+(?:\.\d+)?$/.test(text);
}

/**
 * A non-negative decimal (plain or with an exponent, as `String(number)` writes it) as an
 * integer of 10^-scale units. Throws when the value has more decimals than `scale`.
 */
export function toUnits(text: string, scale: number): bigint {
  const match = DECIMAL.exec(text);
  if (match === null) throw new RangeError(`'${text}' is not a non-negative decimal number`);
  const [, whole, fraction = '', exponent = '0'] = match;
  const shift = Number(exponent);
  let digits = whole! + fraction;
  let decimals = fraction.length - shift;
  if (decimals < 0) {
    digits += '0'.repeat(-decimals);
    decimals = 0;
  }
  if (decimals > scale) {
    const dropped = digits.slice(digits.length - (decimals - scale));
    if (/[1-9]/.test(dropped)) throw new RangeError(`'${text}' has more than ${scale} decimals`);
    digits = digits.slice(0, digits.length - (decimals - scale));
    decimals = scale;
  }
  return BigInt(digits) * TEN ** BigInt(scale - decimals);
}

/** The exact decimal a JS number stands for in its shortest round-trip form (2.5 → '2.5', 1e-7 → '0.0000001'). */
export function numberToDecimal(value: number): string {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${value} is not a non-negative finite number`);
  const text = String(value);
  return text.includes('e') ? formatUnits(toUnits(text, 40), 40, 40) : text;
}

const powers = new Map<number, bigint>();

function powerOfTen(exponent: number): bigint {
  let power = powers.get(exponent);
  if (power === undefined) {
    power = TEN ** BigInt(exponent);
    powers.set(exponent, power);
  }
  return power;
}

/** `units` of 10^-scale as a decimal string with at most `decimals` decimals, rounded half up, no trailing zeros. */
export function formatUnits(units: bigint, scale: number, decimals: number): string {
  let value = units;
  let places = scale;
  if (places > decimals) {
    const divisor = powerOfTen(places - decimals);
    value = (value + divisor / 2n) / divisor;
    places = decimals;
  }
  const text = value.toString();
  if (places === 0) return text;
  const padded = text.length > places ? text : '0'.repeat(places + 1 - text.length) + text;
  let end = padded.length;
  const point = end - places;
  while (end > point && padded.charCodeAt(end - 1) === 48 /* 0 */) end--;
  return end === point ? padded.slice(0, point) : `${padded.slice(0, point)}.${padded.slice(point, end)}`;
}

/** Internal units as a USD string (≤ 12 decimals). */
export function unitsToUsd(units: bigint): string {
  return formatUnits(units, UNIT_SCALE, USD_DECIMALS);
}

/** A USD decimal string in internal units. */
export function usdToUnits(usd: string): bigint {
  return toUnits(usd, UNIT_SCALE);
}

/** Exact sum of USD decimal strings. */
export function sumUsd(values: Iterable<string>): string {
  let total = 0n;
  for (const value of values) total += usdToUnits(value);
  return unitsToUsd(total);
}
