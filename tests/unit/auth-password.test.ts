import { describe, expect, it } from 'vitest';
import {
  hashPassword,
  needsRehash,
  PASSWORD_HASH_PARAMS,
  passwordProblem,
  TEST_ONLY_HASH_PARAMS,
  verifyPassword,
} from '../../lib/auth/password.js';

describe('password hashing (scrypt)', () => {
  it('happy: production hashes use N=2^17, r=8, p=1 and carry their salt, and verify', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(await verifyPassword('correct horse battery staple', hash)).toBe(true);
    expect(needsRehash(hash)).toBe(false);
  });

  it('happy: the same password hashes differently each time (random salt)', async () => {
    const a = await hashPassword('same password here', TEST_ONLY_HASH_PARAMS);
    const b = await hashPassword('same password here', TEST_ONLY_HASH_PARAMS);
    expect(a).not.toBe(b);
  });

  it('happy: parameters are read from the stored hash, so older parameters still verify', async () => {
    const old = await hashPassword('an older password', TEST_ONLY_HASH_PARAMS);
    expect(old.startsWith('$scrypt$ln=10,r=8,p=1$')).toBe(true);
    expect(await verifyPassword('an older password', old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash(old, TEST_ONLY_HASH_PARAMS)).toBe(false);
  });

  it('error: a wrong password, a case change or a one-character change does not verify', async () => {
    const hash = await hashPassword('Exact Password 1', TEST_ONLY_HASH_PARAMS);
    expect(await verifyPassword('Exact Password 2', hash)).toBe(false);
    expect(await verifyPassword('exact password 1', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('security: unreadable, truncated or absurd-cost hashes are refused without deriving anything', async () => {
    const good = await hashPassword('whatever it is', TEST_ONLY_HASH_PARAMS);
    expect(await verifyPassword('whatever it is', good.slice(0, -10))).toBe(false);
    expect(await verifyPassword('whatever it is', 'plaintext')).toBe(false);
    expect(await verifyPassword('whatever it is', good.replace('ln=10', 'ln=40'))).toBe(false);
    expect(await verifyPassword('whatever it is', '')).toBe(false);
  });

  it('happy: Unicode passwords are normalised (NFC), so the same text typed differently verifies', async () => {
    const composed = 'caf\u00e9 au lait s\u00fbr';
    const decomposed = composed.normalize('NFD');
    expect(decomposed).not.toBe(composed);
    const hash = await hashPassword(composed, TEST_ONLY_HASH_PARAMS);
    expect(await verifyPassword(decomposed, hash)).toBe(true);
  });

  it('the production parameters are the documented ones', () => {
    expect(PASSWORD_HASH_PARAMS).toEqual({ ln: 17, r: 8, p: 1 });
  });
});

describe('passwordProblem', () => {
  it('happy: a long, varied passphrase is accepted', () => {
    expect(passwordProblem('correct horse battery staple')).toBeNull();
    expect(passwordProblem('Tr0ub4dor&3-xyz')).toBeNull();
  });

  it('error: too short, too long, repetitive and common passwords are refused with a reason', () => {
    expect(passwordProblem('short')).toMatch(/at least 12/);
    expect(passwordProblem('x'.repeat(257))).toMatch(/at most 256/);
    expect(passwordProblem('aaaaaaaaaaaaaaaa')).toMatch(/different characters/);
    expect(passwordProblem('password1234')).toMatch(/too common/);
    expect(passwordProblem('password12345!')).toMatch(/too common/);
    expect(passwordProblem('adminadminadmin!')).toMatch(/too common/);
    expect(passwordProblem('qwertyqwerty12')).toMatch(/too common/);
  });

  it('error: passwords containing the email name or the person name are refused', () => {
    expect(passwordProblem('grace.hopper-1906!', { email: 'grace.hopper@example.dev' })).toMatch(/email/);
    expect(passwordProblem('xx-GraceHopper-42', { name: 'Grace Hopper' })).toMatch(/name/);
  });
});
