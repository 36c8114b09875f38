import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { evaluateFlag, evaluateFlags, readOverrides } from '../../lib/config/flags.js';
import { fnv1a32, rolloutBucket } from '../../lib/config/hash.js';
import { CONFIG_KEYS } from '../../lib/config/keys.js';
import { isEnabled, loadConfig, resetConfigMemo } from '../../lib/config/load.js';
import { SITE_DEFAULTS } from '../../lib/config/site.js';
import type { ConfigStore } from '../../lib/stores/config/index.js';
import { MemoryConfigStore } from '../../lib/stores/config/memory.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { faulty } from '../helpers/faults.js';

class CountingStore extends MemoryConfigStore {
  calls = 0;
  override async getMany(keys: readonly string[]) {
    this.calls++;
    return super.getMany(keys);
  }
}

describe('flags', () => {
  beforeEach(() => resetConfigMemo());

  it('happy: FNV-1a matches the reference values and buckets are stable', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    expect(rolloutBucket('ui.conceptGraph', 'visitor-1')).toBe(rolloutBucket('ui.conceptGraph', 'visitor-1'));
  });

  it('happy: a 30% rollout reaches about 30% of ids, the same ones every time', () => {
    const state = { enabled: true, rollout: 30 };
    const on = Array.from({ length: 2000 }, (_, i) => evaluateFlag('ui.conceptGraph', state, `id-${i}`));
    const share = on.filter(Boolean).length / on.length;
    expect(share).toBeGreaterThan(0.26);
    expect(share).toBeLessThan(0.34);
    const again = Array.from({ length: 2000 }, (_, i) => evaluateFlag('ui.conceptGraph', state, `id-${i}`));
    expect(again).toEqual(on);
  });

  it('happy: kill switches and defaults; no id means partial rollouts are off', () => {
    expect(evaluateFlags({})).toMatchObject({
      'chat.enabled': true,
      'search.enabled': true,
      'ui.conceptGraph': false,
    });
    expect(evaluateFlags({ 'chat.enabled': { enabled: false } })['chat.enabled']).toBe(false);
    expect(evaluateFlag('ui.conceptGraph', { enabled: false, rollout: 100 }, 'x')).toBe(false);
  });

  it('error: invalid stored overrides fall back to defaults per flag', () => {
    expect(readOverrides({ 'chat.enabled': 'no', 'search.enabled': { enabled: false }, other: 1 })).toEqual({
      'search.enabled': { enabled: false },
    });
    expect(readOverrides('garbage')).toEqual({});
  });

  it('happy: one getMany round trip, memoised for a few seconds', async () => {
    const store = new CountingStore({ [CONFIG_KEYS.flags]: { 'chat.enabled': { enabled: false } } });
    let now = 1_000;
    await loadConfig({ store, now: () => now });
    await loadConfig({ store, now: () => now + 4_000 });
    expect(store.calls).toBe(1);
    now += 6_000;
    const loaded = await loadConfig({ store, now: () => now });
    expect(store.calls).toBe(2);
    expect(loaded.overrides['chat.enabled']).toEqual({ enabled: false });
    resetConfigMemo();
    expect(await isEnabled('chat.enabled', { store })).toBe(false);
    resetConfigMemo();
    expect(await isEnabled('search.enabled', { store })).toBe(true);
  });

  it('error: a config store that is down or hangs means defaults, not an outage', async () => {
    for (const mode of ['down', 'slow'] as const) {
      resetConfigMemo();
      const store = faulty<ConfigStore>(new MemoryConfigStore(), mode);
      const loaded = await loadConfig({ store });
      expect(loaded.source).toBe('defaults');
      expect(loaded.site).toEqual(SITE_DEFAULTS);
    }
  });

  it('happy: site defaults in code equal db/seed/site.json', () => {
    expect(SITE_DEFAULTS).toEqual(JSON.parse(readFileSync('db/seed/site.json', 'utf8')));
  });
});

describe('GET /api/config', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      config: new MemoryConfigStore({
        [CONFIG_KEYS.site]: { owner: { name: 'Someone Else' } },
        [CONFIG_KEYS.flags]: { 'ui.conceptGraph': { enabled: true, rollout: 50 } },
      }),
    });
  });
  beforeEach(() => resetConfigMemo());
  afterAll(() => t.close());

  it('happy: site config and flags for the caller, publicly cacheable when keyed by ?uid', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `v${i}`);
    const answers: boolean[] = [];
    for (const uid of ids) {
      const res = await t.request('GET', `/api/config?uid=${uid}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        site: { owner: { name: string } };
        flags: Record<string, boolean>;
      };
      expect(body.site.owner.name).toBe('Someone Else');
      expect(body.flags['ui.conceptGraph']).toBe(rolloutBucket('ui.conceptGraph', uid) < 50);
      answers.push(body.flags['ui.conceptGraph'] ?? false);
      expect(res.headers.get('cache-control')).toMatch(/public.*s-maxage=5/);
    }
    expect(new Set(answers).size).toBe(2); // some in, some out
  });

  it('happy: the pf_uid cookie identifies the caller, and the answer is private', async () => {
    const res = await t.request('GET', '/api/config', { headers: { cookie: 'a=b; pf_uid=v7' } });
    const body = (await res.json()) as { flags: Record<string, boolean> };
    expect(body.flags['ui.conceptGraph']).toBe(rolloutBucket('ui.conceptGraph', 'v7') < 50);
    expect(res.headers.get('cache-control')).toMatch(/^private/);
  });

  it('error: a malformed uid or an unknown parameter is 400; a malformed cookie is ignored', async () => {
    expect((await t.request('GET', '/api/config?uid=%3Cscript%3E')).status).toBe(400);
    expect((await t.request('GET', `/api/config?uid=${'a'.repeat(65)}`)).status).toBe(400);
    expect((await t.request('GET', '/api/config?debug=1')).status).toBe(400);
    const res = await t.request('GET', '/api/config', { headers: { cookie: 'pf_uid=<bad>' } });
    expect(res.status).toBe(200);
  });

  it('security: only GET; writes go through the admin endpoint', async () => {
    expect((await t.request('PUT', '/api/config', { json: { flags: {} } })).status).toBe(405);
  });
});
