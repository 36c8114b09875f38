import * as z from 'zod';

/**
 * The one reader of `process.env`. Everything else imports `env()` and gets typed, validated values.
 * Empty strings count as unset, so `FOO=` in a .env file means "use the default".
 */

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const optionalUrl = optionalString.pipe(z.url().optional());

const intWithDefault = (fallback: number, min = 0) =>
  optionalString.transform((v, ctx) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) {
      ctx.addIssue({ code: 'custom', message: `expected an integer >= ${min}` });
      return z.NEVER;
    }
    return n;
  });

export const envSchema = z.object({
  NODE_ENV: optionalString.transform((v) => v ?? 'development'),
  /** Port of the local dev server. */
  PORT: intWithDefault(3000, 1),
  /** Where embedded stores keep their data (PGlite). */
  DATA_DIR: optionalString.transform((v) => v ?? '.data'),
  /** Public base URL of the site, used for citation links. */
  SITE_URL: optionalUrl,
  LOG_LEVEL: optionalString.pipe(z.enum(['debug', 'info', 'warn', 'error', 'silent']).optional()),

  // SQL (source of truth)
  DATABASE_URL: optionalString,
  /** Force a SQL driver; `auto` picks Neon HTTP for *.neon.tech URLs, node-postgres otherwise. */
  DATABASE_DRIVER: optionalString.pipe(z.enum(['auto', 'neon-http', 'postgres']).optional()),
  /** Neon HTTP endpoint override (tests point it at a local stand-in). */
  NEON_FETCH_ENDPOINT: optionalUrl,

  // Vectors
  PINECONE_API_KEY: optionalString,
  PINECONE_INDEX: optionalString,
  /** Data-plane host of the Pinecone index; skips the control-plane lookup when set. */
  PINECONE_HOST: optionalUrl,
  PINECONE_NAMESPACE: optionalString,

  // Graph
  NEO4J_URI: optionalString,
  NEO4J_USERNAME: optionalString,
  NEO4J_PASSWORD: optionalString,
  NEO4J_DATABASE: optionalString,

  // Cache
  UPSTASH_REDIS_REST_URL: optionalUrl,
  UPSTASH_REDIS_REST_TOKEN: optionalString,
  REDIS_URL: optionalString,

  // Config (Vercel KV = Upstash Redis)
  KV_REST_API_URL: optionalUrl,
  KV_REST_API_TOKEN: optionalString,

  // Models
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: optionalUrl,
  AI_GATEWAY_API_KEY: optionalString,
  CHAT_MODEL: optionalString,
  EMBEDDING_MODEL: optionalString,
  /** Embedding dimensions to request from the provider; 0 means the model's default. */
  EMBEDDING_DIMENSIONS: intWithDefault(0, 0),

  // Security and limits
  CRON_SECRET: optionalString,
  /** Signs anonymous visitor ids; a random per-process value is used when unset (dev only). */
  SESSION_SECRET: optionalString,
  /** Password for `npm run admin:create` when it creates the account (instead of the prompt). */
  ADMIN_PASSWORD: optionalString,
  /**
   * Keys backup checksums (HMAC-SHA256): an archive edited without the key is refused on restore.
   * Restores need the same key; with it set, unsigned archives are refused.
   */
  BACKUP_KEY: optionalString,
  /**
   * The dev server (`npm run dev`) believes `X-Forwarded-For` only when this is `true` (it runs behind
   * a proxy that overwrites the header); otherwise the client address is the socket's. On Vercel the
   * edge sets the header itself and this has no effect.
   */
  TRUST_PROXY: optionalString
    .pipe(z.enum(['true', 'false', '1', '0']).optional())
    .transform((v) => v === 'true' || v === '1'),
  /** Comma-separated origins allowed by CORS. */
  CORS_ORIGINS: optionalString,
  /** Deadline for a handler to produce its response; past it the caller gets a 503 `timeout`. */
  REQUEST_TIMEOUT_MS: intWithDefault(10_000, 100),
  CHAT_RATE_LIMIT_PER_MINUTE: intWithDefault(20, 1),
  CHAT_DAILY_TOKEN_BUDGET: intWithDefault(50_000, 1),
});

export type Env = z.infer<typeof envSchema>;

let cached: Env | undefined;

/** Parses `process.env` once; throws with every bad variable named. */
export function env(): Env {
  if (cached) return cached;
  const parsed = envSchema.safeParse(typeof process === 'undefined' ? {} : process.env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join('\n')}`);
  }
  cached = parsed.data;
  return cached;
}

/** Tests and the dev server change `process.env` and call this to re-read it. */
export function resetEnv(): void {
  cached = undefined;
}

export type SqlAdapter = 'pglite' | 'postgres' | 'neon-http';
export type VectorAdapter = 'pgvector' | 'pinecone';
export type GraphAdapter = 'sql' | 'neo4j';
export type CacheAdapter = 'memory' | 'upstash' | 'redis';
export type ConfigAdapter = 'memory' | 'upstash';
export type ModelProvider = 'local' | 'openai' | 'gateway';

/** Which adapter each store uses, derived from env alone (DESIGN section 2). */
export function adapters(e: Env = env()): {
  sql: SqlAdapter;
  vector: VectorAdapter;
  graph: GraphAdapter;
  cache: CacheAdapter;
  config: ConfigAdapter;
  models: ModelProvider;
} {
  let sql: SqlAdapter = 'pglite';
  if (e.DATABASE_URL) {
    const driver = e.DATABASE_DRIVER ?? 'auto';
    if (driver === 'auto') sql = isNeonUrl(e.DATABASE_URL) ? 'neon-http' : 'postgres';
    else sql = driver;
  }
  return {
    sql,
    vector: e.PINECONE_API_KEY && e.PINECONE_INDEX ? 'pinecone' : 'pgvector',
    graph: e.NEO4J_URI ? 'neo4j' : 'sql',
    cache:
      e.UPSTASH_REDIS_REST_URL && e.UPSTASH_REDIS_REST_TOKEN ? 'upstash' : e.REDIS_URL ? 'redis' : 'memory',
    config: e.KV_REST_API_URL && e.KV_REST_API_TOKEN ? 'upstash' : 'memory',
    models: e.OPENAI_API_KEY ? 'openai' : e.AI_GATEWAY_API_KEY ? 'gateway' : 'local',
  };
}

function isNeonUrl(url: string): boolean {
  try {
    return new URL(url).hostname.endsWith('.neon.tech');
  } catch {
    return false;
  }
}
