CREATE TABLE "term_df" (
	"lexeme" text PRIMARY KEY NOT NULL,
	"n" bigint NOT NULL
);
--> statement-breakpoint
-- Document frequencies beside the postings, kept by the same statement-level triggers on chunks: each
-- statement's postings added or removed are counted per lexeme and applied to one row per lexeme
-- (`term_df_apply`). Writers cannot deadlock on these rows: each trigger first updates the one
-- chunk_stats row, which serialises the transactions that change postings.
INSERT INTO "term_df" ("lexeme", "n") SELECT "lexeme", count(*) FROM "chunk_terms" GROUP BY "lexeme";--> statement-breakpoint
-- Adds `delta` to the document frequency of each lexeme once per occurrence in `lexemes` (the
-- postings a statement inserted, +1, or deleted, -1); returns the number of rows written.
CREATE FUNCTION term_df_apply(lexemes text[], delta integer) RETURNS integer LANGUAGE sql AS $$
  WITH applied AS (
    INSERT INTO term_df (lexeme, n)
    SELECT l, delta * count(*) FROM unnest(lexemes) l GROUP BY l ORDER BY l
    ON CONFLICT (lexeme) DO UPDATE SET n = term_df.n + excluded.n
    RETURNING 1
  )
  SELECT count(*)::integer FROM applied
$$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION chunk_stats_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE written integer;
BEGIN
  UPDATE chunk_stats SET n = chunk_stats.n + d.n, total_dl = chunk_stats.total_dl + d.dl
    FROM (SELECT count(*) AS n, coalesce(sum(dl), 0) AS dl FROM new_rows) d WHERE chunk_stats.id AND d.n > 0;
  WITH ins AS (
    INSERT INTO chunk_terms SELECT t.* FROM new_rows r CROSS JOIN LATERAL chunk_terms_of(r.tsv, r.id, r.dl) t
    RETURNING lexeme
  )
  SELECT term_df_apply(array_agg(lexeme), 1) INTO written FROM ins;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION chunk_stats_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE written integer;
BEGIN
  UPDATE chunk_stats SET n = chunk_stats.n - d.n, total_dl = chunk_stats.total_dl - d.dl
    FROM (SELECT count(*) AS n, coalesce(sum(dl), 0) AS dl FROM old_rows) d WHERE chunk_stats.id AND d.n > 0;
  WITH del AS (DELETE FROM chunk_terms p USING old_rows o WHERE p.chunk_id = o.id RETURNING p.lexeme)
  SELECT term_df_apply(array_agg(lexeme), -1) INTO written FROM del;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION chunk_stats_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE written integer;
BEGIN
  -- Only rows whose indexed text changed (the vector projector's embedded_hash updates change nothing).
  UPDATE chunk_stats SET n = chunk_stats.n + c.n - g.n, total_dl = chunk_stats.total_dl + c.dl - g.dl
    FROM (SELECT count(*) AS n, coalesce(sum(dl), 0) AS dl FROM new_rows n
          WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.id = n.id AND o.tsv = n.tsv AND o.dl = n.dl)) c,
         (SELECT count(*) AS n, coalesce(sum(dl), 0) AS dl FROM old_rows o
          WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id AND n.tsv = o.tsv AND n.dl = o.dl)) g
    WHERE chunk_stats.id AND (c.n > 0 OR g.n > 0);
  WITH del AS (
    DELETE FROM chunk_terms p USING old_rows o
      WHERE p.chunk_id = o.id AND NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id AND n.tsv = o.tsv AND n.dl = o.dl)
      RETURNING p.lexeme
  )
  SELECT term_df_apply(array_agg(lexeme), -1) INTO written FROM del;
  WITH ins AS (
    INSERT INTO chunk_terms SELECT t.* FROM new_rows r CROSS JOIN LATERAL chunk_terms_of(r.tsv, r.id, r.dl) t
      WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.id = r.id AND o.tsv = r.tsv AND o.dl = r.dl)
      RETURNING lexeme
  )
  SELECT term_df_apply(array_agg(lexeme), 1) INTO written FROM ins;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION chunk_stats_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE chunk_stats SET n = 0, total_dl = 0 WHERE id;
  TRUNCATE chunk_terms, term_df;
  RETURN NULL;
END $$;
