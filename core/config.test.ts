import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('applies defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c.otlpHttp).toMatchObject({ host: '127.0.0.1', port: 4318 });
    expect(c.api.port).toBe(8787);
    expect(c.clickhouseHttp).toMatchObject({ port: 8123, readonly: true });
    expect(c.home).toBe('.flowtrace');
  });

  it('ranks flags over environment over file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ft-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ otlpHttp: { port: 1111 }, api: { port: 2222 }, projectId: 'fromfile' }));
    const c = loadConfig({ file, env: { FLOWTRACE_API_PORT: '3333', FLOWTRACE_OTLP_HTTP_PORT: '4444' }, overrides: { otlpHttp: { port: 5555 } } });
    expect(c.otlpHttp.port).toBe(5555);
    expect(c.api.port).toBe(3333);
    expect(c.projectId).toBe('fromfile');
  });

  it('names the offending setting', () => {
    expect(() => loadConfig({ env: { FLOWTRACE_API_PORT: 'abc' } })).toThrow(/FLOWTRACE_API_PORT: expected a number, got "abc"/);
    expect(() => loadConfig({ env: {}, overrides: { otlpHttp: { port: 70000 } } })).toThrow(/otlpHttp\.port/);
    const dir = mkdtempSync(join(tmpdir(), 'ft-config-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ otlpHtp: {} }));
    expect(() => loadConfig({ file, env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ file, env: {} })).toThrow(/Unrecognized key/);
  });
});
