// Exact comparison of decimal USD amounts (costs are decimal strings, never floats).

/** A limit from a JSON number as a plain decimal string (no exponent). */
export function usdFromNumber(value: number): string {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`not a non-negative amount: ${value}`);
  const text = String(value);
  // 1e-7 and friends: 12 decimals is far below any price's precision.
  return /e/i.test(text) ? value.toFixed(12).replace(/\.?0+$/, '') : text;
}

function scaled(amount: string, scale: number): bigint {
  const [whole = '0', fraction = ''] = amount.split('.');
  return BigInt(whole + fraction.padEnd(scale, '0'));
}

/** -1, 0 or 1 as `a` is below, equal to or above `b` (non-negative decimal strings). */
export function compareUsd(a: string, b: string): number {
  const scale = Math.max(a.split('.')[1]?.length ?? 0, b.split('.')[1]?.length ?? 0);
  const difference = scaled(a, scale) - scaled(b, scale);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}
