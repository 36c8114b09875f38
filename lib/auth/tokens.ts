/**
 * Session tokens: 32 random bytes, base64url (43 characters). Only their SHA-256 is ever stored.
 * Web Crypto only (no node:crypto), so the guard also runs on the edge runtime.
 */

const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A new opaque session token. `random` fills the bytes (tests pass a deterministic one). */
export function newSessionToken(random: (bytes: Uint8Array) => void = fill): string {
  const bytes = new Uint8Array(TOKEN_BYTES);
  random(bytes);
  return base64url(bytes);
}

/** True for strings shaped like our tokens; anything else is refused before any store lookup. */
export function isSessionToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

/** Hex SHA-256 of a token: the only form in which a session is stored or looked up. */
export async function hashSessionToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function fill(bytes: Uint8Array): void {
  crypto.getRandomValues(bytes);
}

function base64url(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Hex SHA-256 of any string (rate-limit keys for emails, so the cache holds no addresses). */
export const sha256Hex = hashSessionToken;
