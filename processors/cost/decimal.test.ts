import { describe, expect, it } from 'vitest';
import { formatUnits, numberToDecimal, sumUsd, toUnits, unitsToUsd, usdToUnits } from './decimal.ts';

describe('decimal', () => {
  it('reads plain and exponent decimals exactly', () => {
    expect(toUnits('2.5', 6)).toBe(2_500_000n);
    expect(toUnits('0.075', 6)).toBe(75_000n);
    expect(toUnits('1e-7', 9)).toBe(100n);
    expect(toUnits('1.25e2', 0)).toBe(125n);
    expect(toUnits('3.10', 1)).toBe(31n);
  });

  it('rejects what it cannot represent exactly', () => {
    expect(() => toUnits('0.1234', 3)).toThrow("'0.1234' has more than 3 decimals");
    expect(() => toUnits('-1', 3)).toThrow('not a non-negative decimal');
    expect(() => toUnits('abc', 3)).toThrow('not a non-negative decimal');
  });

  it('writes numbers in their shortest exact decimal form', () => {
    expect(numberToDecimal(2.5)).toBe('2.5');
    expect(numberToDecimal(0.1)).toBe('0.1');
    expect(numberToDecimal(1e-7)).toBe('0.0000001');
    expect(numberToDecimal(1.25e-7)).toBe('0.000000125');
  });

  it('formats with at most the given decimals, rounding half up and trimming zeros', () => {
    expect(formatUnits(1_234_500n, 6, 4)).toBe('1.2345');
    expect(formatUnits(1_234_550n, 6, 4)).toBe('1.2346');
    expect(formatUnits(5n, 24, 12)).toBe('0');
    expect(formatUnits(500_000_000_000n, 24, 12)).toBe('0.000000000001');
    expect(formatUnits(12_000_000n, 6, 12)).toBe('12');
  });

  it('sums money exactly where floats do not', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(sumUsd(['0.1', '0.2'])).toBe('0.3');
    expect(sumUsd(Array.from({ length: 1000 }, () => '0.000000000001'))).toBe('0.000000001');
    expect(sumUsd([])).toBe('0');
    expect(unitsToUsd(usdToUnits('123456789.123456789012'))).toBe('123456789.123456789012');
  });
});
