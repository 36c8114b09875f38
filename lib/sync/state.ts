import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../stores/sql/index.js';

/** app_state key of the search index version, bumped by every sync that changed a projection. */
export const INDEX_VERSION_KEY = 'search:index_version';

/** Reads the index version (0 before the first change). */
export async function getIndexVersion(db: Db): Promise<number> {
  const [row] = await queryRows<{ v: string | null }>(
    db,
    sql`SELECT value #>> '{}' AS v FROM app_state WHERE key = ${INDEX_VERSION_KEY}`,
  );
  return Number(row?.v ?? 0) || 0;
}

/** Increments the index version in one statement and returns the new value. */
export async function bumpIndexVersion(db: Db): Promise<number> {
  const [row] = await queryRows<{ v: string }>(
    db,
    sql`INSERT INTO app_state (key, value, updated_at) VALUES (${INDEX_VERSION_KEY}, '1'::jsonb, now())
        ON CONFLICT (key) DO UPDATE
          SET value = to_jsonb(coalesce((app_state.value #>> '{}')::bigint, 0) + 1), updated_at = now()
        RETURNING value #>> '{}' AS v`,
  );
  return Number(row?.v ?? 0);
}

/**
 * Takes the job lease `key` until `now + leaseMs` if nobody holds it, in ONE conditional upsert, so two
 * overlapping cron runs cannot both win. Returns a token to release it with, or null when held.
 */
export async function acquireJobLease({
  db,
  key,
  leaseMs,
  now,
  token = crypto.randomUUID(),
}: {
  db: Db;
  key: string;
  leaseMs: number;
  now: Date;
  token?: string;
}): Promise<string | null> {
  const until = new Date(now.getTime() + leaseMs).toISOString();
  const value = JSON.stringify({ holder: token });
  const rows = await queryRows<{ key: string }>(
    db,
    sql`INSERT INTO app_state (key, value, lease_until, updated_at)
        VALUES (${key}, ${value}::jsonb, ${until}::timestamptz, now())
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, lease_until = EXCLUDED.lease_until,
          updated_at = now()
        WHERE app_state.lease_until IS NULL OR app_state.lease_until < ${now.toISOString()}::timestamptz
        RETURNING key`,
  );
  return rows.length ? token : null;
}

/** Releases a job lease if this token still holds it. */
export async function releaseJobLease({ db, key, token }: { db: Db; key: string; token: string }) {
  await db.execute(
    sql`UPDATE app_state SET lease_until = NULL, updated_at = now()
        WHERE key = ${key} AND value ->> 'holder' = ${token}`,
  );
}
