-- pgvector backs the embedded vector store (PGlite) and can back production on Neon.
-- Servers without the extension (Debian's PostgreSQL 15, say) still migrate: the vector store then
-- needs Pinecone, and the pgvector adapter reports the missing extension clearly.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
    CREATE EXTENSION IF NOT EXISTS vector;
  ELSE
    RAISE NOTICE 'pgvector is not available on this server; skipping CREATE EXTENSION vector';
  END IF;
END
$$;
