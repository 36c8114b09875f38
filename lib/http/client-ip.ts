/**
 * The caller's IP. On Vercel, `x-forwarded-for` is set by the platform (client first) and
 * `x-real-ip` carries the same address; Vercel overwrites both, so clients cannot spoof them there.
 * The dev server writes the socket address into both (unless TRUST_PROXY=true), as Vercel does.
 * Behind another proxy, make sure it overwrites these headers too. `unknown` when neither is present
 * (all such callers then share one rate-limit bucket, which errs on the safe side).
 */
export function clientIp(request: Request): string {
  const forwarded = request.headers.get('x-forwarded-for');
  const first = forwarded?.split(',')[0]?.trim();
  if (first) return first.slice(0, 64);
  const real = request.headers.get('x-real-ip')?.trim();
  if (real) return real.slice(0, 64);
  return 'unknown';
}
