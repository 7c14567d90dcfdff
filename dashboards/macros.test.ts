import { describe, expect, it } from 'vitest';
import {
  applyConditionalAll,
  expandMacros,
  expandQuery,
  interpolateVariables,
  stripComments,
  type QueryContext,
  type TemplateVariable,
} from './macros.ts';

const from = new Date('2026-03-02T09:00:00.250Z');
const to = new Date('2026-03-02T11:00:00.999Z');
const FROM_S = 1772442000; // from, whole seconds
const TO_S = 1772449200;

const vars: TemplateVariable[] = [
  { name: 'project', current: ['acme', 'globex'], options: ['acme', 'globex', 'initech'] },
  { name: 'service', current: '$__all', options: ['api', "o'hara"] },
  { name: 'workflow', current: ['$__all'], options: ['triage'], allValue: '.*' },
  { name: 'single', current: 'plain' },
  { name: 'empty', current: [] },
];

const ctx = (intervalMs: number): QueryContext => ({ range: { from, to }, intervalMs, variables: vars });

describe('$__conditionalAll', () => {
  it('keeps the condition when the variable has concrete values', () => {
    expect(applyConditionalAll('WHERE $__conditionalAll(p IN (${project:singlequote}), $project)', vars))
      .toBe('WHERE p IN (${project:singlequote})');
  });

  it('becomes 1=1 for All (string or array form) and for an empty selection', () => {
    expect(applyConditionalAll('$__conditionalAll(s IN ($service), $service)', vars)).toBe('1=1');
    expect(applyConditionalAll('$__conditionalAll(w IN ($workflow), ${workflow})', vars)).toBe('1=1');
    expect(applyConditionalAll('$__conditionalAll(e IN ($empty), $empty)', vars)).toBe('1=1');
  });

  it('does not detect All through a formatted second argument, like the plugin', () => {
    expect(applyConditionalAll('$__conditionalAll(s = 1, ${service:singlequote})', vars)).toBe('s = 1');
  });

  it('expands nested and repeated macros, innermost last-first', () => {
    const sql = '$__conditionalAll(a IN (SELECT x FROM t WHERE $__conditionalAll(s IN ($service), $service)), $project) AND $__conditionalAll(z, $service)';
    expect(applyConditionalAll(sql, vars)).toBe('a IN (SELECT x FROM t WHERE 1=1) AND 1=1');
  });

  it('rejects a call without exactly two arguments', () => {
    expect(() => applyConditionalAll('$__conditionalAll(a, b, $project)', vars)).toThrow(/expects 2 arguments.*got 3/);
  });
});

describe('template variables', () => {
  it('formats multi-values with singlequote, escaping quotes with a backslash', () => {
    expect(interpolateVariables('IN (${project:singlequote})', vars)).toBe("IN ('acme','globex')");
    expect(interpolateVariables('IN (${service:singlequote})', vars)).toBe("IN ('api','o\\'hara')");
  });

  it("uses the datasource's formatter without a format: arrays quoted, scalars raw", () => {
    expect(interpolateVariables('IN ($project) AND x = $single AND [[single]]', vars)).toBe("IN ('acme','globex') AND x = plain AND plain");
  });

  it('inserts a custom all value verbatim', () => {
    expect(interpolateVariables('match(w, ${workflow:singlequote})', vars)).toBe('match(w, .*)');
  });

  it('leaves macros and unknown variables alone', () => {
    expect(interpolateVariables('$__timeFilter(T) AND $unknown AND ${__from}', vars)).toBe('$__timeFilter(T) AND $unknown AND ${__from}');
  });

  it('names unsupported formats', () => {
    expect(() => interpolateVariables('${project:lucene}', vars)).toThrow('unsupported variable format "lucene"');
  });
});

describe('backend macros', () => {
  it('renders time filters with second and millisecond precision', () => {
    expect(expandMacros('$__timeFilter(Timestamp)', ctx(1000)))
      .toBe(`Timestamp >= toDateTime(${FROM_S}) AND Timestamp <= toDateTime(${TO_S})`);
    expect(expandMacros('$__timeFilter_ms(Timestamp)', ctx(1000)))
      .toBe(`Timestamp >= fromUnixTimestamp64Milli(${from.getTime()}) AND Timestamp <= fromUnixTimestamp64Milli(${to.getTime()})`);
    expect(expandMacros('$__fromTime < $__toTime', ctx(1000))).toBe(`toDateTime(${FROM_S}) < toDateTime(${TO_S})`);
  });

  it('renders intervals truncated to whole units with a floor of one', () => {
    expect(expandMacros('$__timeInterval(t)', ctx(90_500))).toBe('toStartOfInterval(toDateTime(t), INTERVAL 90 second)');
    expect(expandMacros('$__timeInterval(t)', ctx(200))).toBe('toStartOfInterval(toDateTime(t), INTERVAL 1 second)');
    expect(expandMacros('$__timeInterval_ms(t)', ctx(1500))).toBe('toStartOfInterval(toDateTime64(t, 3), INTERVAL 1500 millisecond)');
    expect(expandMacros('$__interval_s', ctx(1500))).toBe('1');
  });

  it('keeps nested parentheses and quoted commas inside one argument', () => {
    expect(expandMacros("$__timeInterval(if(a, b, ')'))", ctx(60_000)))
      .toBe("toStartOfInterval(toDateTime(if(a, b, ')')), INTERVAL 60 second)");
  });

  it('checks argument counts', () => {
    expect(() => expandMacros('$__timeFilter(a, b)', ctx(1000))).toThrow('$__timeFilter expected 1 argument(s), received 2');
  });

  it('ignores macros inside comments and leaves unknown macros', () => {
    const line = '-- $__timeFilter(x)';
    const block = '/* $__fromTime */';
    const sql = `SELECT 1 ${line}\n${block} WHERE s = '--not a comment' AND $__unknown(x)`;
    const blank = (s: string) => ' '.repeat(s.length);
    expect(expandMacros(sql, ctx(1000))).toBe(`SELECT 1 ${blank(line)}\n${blank(block)} WHERE s = '--not a comment' AND $__unknown(x)`);
    expect(stripComments("a 'it''s -- fine' -- gone")).toBe("a 'it''s -- fine' " + ' '.repeat(7));
  });
});

it('expands a panel query in Grafana order', () => {
  const sql = 'SELECT count() FROM t WHERE $__timeFilter(ts) AND $__conditionalAll(p IN (${project:singlequote}), $project) AND $__conditionalAll(s IN (${service:singlequote}), $service)';
  expect(expandQuery(sql, ctx(1000)))
    .toBe(`SELECT count() FROM t WHERE ts >= toDateTime(${FROM_S}) AND ts <= toDateTime(${TO_S}) AND p IN ('acme','globex') AND 1=1`);
});
