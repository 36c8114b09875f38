/**
 * Strong ETags from the response body: SHA-256 (Web Crypto, so it also runs on the edge), first 16
 * bytes, base64url.
 */
export async function etagOf(body: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body));
  const bytes = new Uint8Array(digest).subarray(0, 16);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return `"${btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}"`;
}

/** True when an `If-None-Match` header names this ETag (weak comparison, as RFC 9110 asks for GET). */
export function ifNoneMatchHits(header: string | null, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}
