import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './types.js';

export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './types.js';

/**
 * Password hashing with scrypt. The hash string carries its own parameters and salt
 * (`$scrypt$ln=17,r=8,p=1$<salt b64>$<key b64>`, PHC style), so the parameters can change later and
 * old hashes still verify. One hash at the production cost takes about 1 s of CPU and 128 MiB on this
 * project's 2-core test machine (less on Vercel).
 */

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  ln: number;
  r: number;
  p: number;
}

/** Production parameters: N = 2^17, r = 8, p = 1 (OWASP's scrypt recommendation). */
export const PASSWORD_HASH_PARAMS: ScryptParams = { ln: 17, r: 8, p: 1 };

/**
 * Cheap parameters for tests that need many users but do not test hashing itself (the auth test
 * helper passes them explicitly). Never used unless passed: production code always takes the default.
 */
export const TEST_ONLY_HASH_PARAMS: ScryptParams = { ln: 10, r: 8, p: 1 };

const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Upper bounds when reading a stored hash, so a tampered row cannot make us burn unbounded memory. */
const MAX_LN = 20;

export async function hashPassword(
  password: string,
  params: ScryptParams = PASSWORD_HASH_PARAMS,
): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when `password` matches `stored`; false for a wrong password or an unreadable hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.params, parsed.key.length);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** True when a stored hash uses other parameters than the current ones (upgrade it on next login). */
export function needsRehash(stored: string, params: ScryptParams = PASSWORD_HASH_PARAMS): boolean {
  const parsed = parseHash(stored);
  return (
    !parsed || parsed.params.ln !== params.ln || parsed.params.r !== params.r || parsed.params.p !== params.p
  );
}

/**
 * Spends the same work as a real verification, for callers with no hash to check (an unknown email),
 * so response times do not reveal whether an account exists.
 */
export async function burnPasswordWork(password: string): Promise<void> {
  await derive(password, randomBytes(SALT_BYTES), PASSWORD_HASH_PARAMS);
}

/**
 * Why a password is too weak, or null when it is acceptable. Length first (the real strength), then a
 * few cheap checks for the passwords attackers try first.
 */
export function passwordProblem(
  password: string,
  context: { email?: string; name?: string } = {},
): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) return `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
  if (password.length > PASSWORD_MAX_LENGTH) return `Use at most ${PASSWORD_MAX_LENGTH} characters.`;
  const lower = password.toLowerCase();
  if (new Set(lower).size < 5) return 'Use more different characters.';
  // What is left after removing the words attackers try first must still be long and varied.
  const rest = lower.replace(COMMON_RE, '');
  if (rest.length < 8 || new Set(rest).size < 5) return 'This password is too common.';
  const local = context.email?.split('@')[0]?.toLowerCase();
  if (local && local.length >= 4 && lower.includes(local))
    return 'Do not use your email address in your password.';
  const name = context.name?.toLowerCase().replace(/\s+/g, '');
  if (name && name.length >= 4 && lower.replace(/\s+/g, '').includes(name))
    return 'Do not use your name in your password.';
  return null;
}

const COMMON = [
  'abcdef',
  'asdfgh',
  'password',
  'passw0rd',
  'qwerty',
  'letmein',
  'welcome',
  'admin',
  'iloveyou',
  '123456',
  'abc123',
  'monkey',
  'dragon',
];
const COMMON_RE = new RegExp(COMMON.join('|'), 'g');

function derive(
  password: string,
  salt: Buffer,
  params: ScryptParams,
  keyLength = KEY_BYTES,
): Promise<Buffer> {
  const N = 2 ** params.ln;
  // OpenSSL needs 128 * r * (N + p + 2) bytes and Node's default cap is 32 MiB: allow what is needed.
  const maxmem = 128 * params.r * (N + params.p + 2) + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, { N, r: params.r, p: params.p, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

function parseHash(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | null {
  const m = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(
    stored,
  );
  if (!m) return null;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.ln < 1 || params.ln > MAX_LN || params.r < 1 || params.p < 1) return null;
  const salt = Buffer.from(m[4] ?? '', 'base64');
  const key = Buffer.from(m[5] ?? '', 'base64');
  if (salt.length < SALT_BYTES || key.length < KEY_BYTES) return null; // a truncated key would compare fewer bytes
  return { params, salt, key };
}
