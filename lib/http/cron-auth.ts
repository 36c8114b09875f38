import { createHash, timingSafeEqual } from 'node:crypto';
import { env } from '../env.js';
import { ApiError } from './errors.js';

/**
 * Guards `/api/cron/*`: Vercel Cron sends `Authorization: Bearer $CRON_SECRET`. Both sides are hashed
 * to equal-length digests and compared in constant time, so neither the secret's content nor its
 * length leaks through timing. Without CRON_SECRET configured, cron endpoints are closed (503).
 */
export function requireCron(request: Request): void {
  const secret = env().CRON_SECRET;
  if (!secret)
    throw new ApiError('service_unavailable', 'Cron endpoints are disabled: CRON_SECRET is not set.');
  const header = request.headers.get('authorization') ?? '';
  const given = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? '';
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(secret).digest();
  if (!given || !timingSafeEqual(a, b)) {
    throw new ApiError('unauthorized', 'A valid cron bearer token is required.', {
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
}
