CREATE TABLE "chunk_stats" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"n" bigint DEFAULT 0 NOT NULL,
	"total_dl" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "chunk_stats_one_row" CHECK ("chunk_stats"."id")
);
--> statement-breakpoint
CREATE TABLE "chunk_terms" (
	"lexeme" text NOT NULL,
	"chunk_id" text NOT NULL,
	"a" integer NOT NULL,
	"b" integer NOT NULL,
	"c" integer NOT NULL,
	"d" integer NOT NULL,
	"dl" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "chunk_terms_lexeme_idx" ON "chunk_terms" USING btree ("lexeme","chunk_id","a","b","c","d","dl");--> statement-breakpoint
CREATE INDEX "chunk_terms_chunk_idx" ON "chunk_terms" USING btree ("chunk_id");--> statement-breakpoint
-- BM25's statistics next to `chunks`, kept by statement-level triggers (one statement per write batch,
-- whatever writes chunks: the text projector, cascades, migrations): the chunk count and total length,
-- and the postings (lexeme, chunk, occurrences per weight label, chunk length). A search then reads one
-- row and the postings of its terms (their count is the document frequency) instead of scanning chunks.
CREATE FUNCTION chunk_terms_of(rows_tsv tsvector, chunk text, dl integer)
  RETURNS TABLE (lexeme text, chunk_id text, a integer, b integer, c integer, d integer, dl integer)
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT u.lexeme, chunk, cardinality(array_positions(u.weights, 'A')), cardinality(array_positions(u.weights, 'B')),
         cardinality(array_positions(u.weights, 'C')), cardinality(array_positions(u.weights, 'D')), dl
  FROM unnest(rows_tsv) u
$$;--> statement-breakpoint
INSERT INTO "chunk_stats" ("id", "n", "total_dl") SELECT true, count(*), coalesce(sum("dl"), 0) FROM "chunks";--> statement-breakpoint
INSERT INTO "chunk_terms" SELECT t.* FROM "chunks" ch CROSS JOIN LATERAL chunk_terms_of(ch."tsv", ch."id", ch."dl") t;--> statement-breakpoint
CREATE FUNCTION chunk_stats_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE chunk_stats SET n = chunk_stats.n + d.n, total_dl = chunk_stats.total_dl + d.dl
    FROM (SELECT count(*) AS n, coalesce(sum(dl), 0) AS dl FROM new_rows) d WHERE chunk_stats.id AND d.n > 0;
  INSERT INTO chunk_terms SELECT t.* FROM new_rows r CROSS JOIN LATERAL chunk_terms_of(r.tsv, r.id, r.dl) t;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE FUNCTION chunk_stats_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE chunk_stats SET n = chunk_stats.n - d.n, total_dl = chunk_stats.total_dl - d.dl
    FROM (SELECT count(*) AS n, coalesce(sum(dl), 0) AS dl FROM old_rows) d WHERE chunk_stats.id AND d.n > 0;
  DELETE FROM chunk_terms p USING old_rows o WHERE p.chunk_id = o.id;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE FUNCTION chunk_stats_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Only rows whose indexed text changed (the vector projector's embedded_hash updates change nothing).
  UPDATE chunk_stats SET n = chunk_stats.n + c.n - g.n, total_dl = chunk_stats.total_dl + c.dl - g.dl
    FROM (SELECT count(*) AS n, coalesce(sum(dl), 0) AS dl FROM new_rows n
          WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.id = n.id AND o.tsv = n.tsv AND o.dl = n.dl)) c,
         (SELECT count(*) AS n, coalesce(sum(dl), 0) AS dl FROM old_rows o
          WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id AND n.tsv = o.tsv AND n.dl = o.dl)) g
    WHERE chunk_stats.id AND (c.n > 0 OR g.n > 0);
  DELETE FROM chunk_terms p USING old_rows o
    WHERE p.chunk_id = o.id AND NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id AND n.tsv = o.tsv AND n.dl = o.dl);
  INSERT INTO chunk_terms SELECT t.* FROM new_rows r CROSS JOIN LATERAL chunk_terms_of(r.tsv, r.id, r.dl) t
    WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.id = r.id AND o.tsv = r.tsv AND o.dl = r.dl);
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE FUNCTION chunk_stats_after_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE chunk_stats SET n = 0, total_dl = 0 WHERE id;
  TRUNCATE chunk_terms;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER chunk_stats_insert AFTER INSERT ON "chunks" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION chunk_stats_after_insert();--> statement-breakpoint
CREATE TRIGGER chunk_stats_delete AFTER DELETE ON "chunks" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION chunk_stats_after_delete();--> statement-breakpoint
CREATE TRIGGER chunk_stats_update AFTER UPDATE ON "chunks" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION chunk_stats_after_update();--> statement-breakpoint
CREATE TRIGGER chunk_stats_truncate AFTER TRUNCATE ON "chunks" FOR EACH STATEMENT EXECUTE FUNCTION chunk_stats_after_truncate();
