import * as z from 'zod';

/**
 * A content or concept slug. Apart from the write schemas (lib/content/schemas.ts re-exports it) so the
 * read functions validate route params without constructing the admin API's schemas at import.
 */
export const slugSchema = z
  .string()
  .min(1)
  .max(120)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, "-" and "_" only');
