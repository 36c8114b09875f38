/**
 * Error codes meaning "the store could not be reached or refused to work", not "the query was wrong":
 * socket and DNS failures (Node, undici), PostgreSQL connection exceptions (class 08), shutdown and
 * too-many-connections, Neo4j's ServiceUnavailable/SessionExpired.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  'ServiceUnavailable',
  'SessionExpired',
]);
/** node-postgres reports pool and connection timeouts by message only. */
const UNAVAILABLE_MESSAGE = /timeout exceeded when trying to connect|Connection terminated/i;

/** True when `err` (or an error in its cause chain) says a store is unreachable or unavailable. */
export function isStoreUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  if (err instanceof Error && UNAVAILABLE_MESSAGE.test(err.message)) return true;
  if (err instanceof AggregateError && err.errors.some((e) => isStoreUnavailable(e, depth + 1))) return true;
  return isStoreUnavailable((err as { cause?: unknown }).cause, depth + 1);
}

/**
 * A store that cannot work at all in this deployment (PostgreSQL without pgvector and no Pinecone,
 * say): a named, permanent state, not a failure to retry at speed. The sync engine lets its rows wait
 * (without counting towards the dead letter), search says why it is degraded, health names it.
 */
export class ProjectionUnavailableError extends Error {
  constructor(
    message: string,
    /** What the operator can do about it. */
    readonly hint: string,
  ) {
    super(message);
    this.name = 'ProjectionUnavailableError';
  }
}
