-- Search documents: fielded chunks (title, heading, summary/tags, text) with their length in index
-- terms (BM25's document length), concept chunks, the vector
-- projector's own progress (embedded_hash), deletion tombstones, and per-projector outbox rows.
-- Chunks are a projection of content and concepts: the old rows are dropped here (their ids kept as
-- tombstones so their vectors get deleted) and every item is queued for re-projection below.
CREATE TABLE "chunk_tombstones" (
	"id" text PRIMARY KEY NOT NULL,
	"owner_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
INSERT INTO "chunk_tombstones" ("id", "owner_id") SELECT "id", "content_id"::text FROM "chunks";--> statement-breakpoint
DELETE FROM "chunks";--> statement-breakpoint
DROP INDEX IF EXISTS "chunks_tsv_idx";--> statement-breakpoint
ALTER TABLE "chunks" DROP COLUMN "tsv";--> statement-breakpoint
ALTER TABLE "chunks" ALTER COLUMN "content_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "chunks" ADD COLUMN "concept_id" uuid;--> statement-breakpoint
ALTER TABLE "chunks" ADD COLUMN "title" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "chunks" ADD COLUMN "summary" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "chunks" ADD COLUMN "tags" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "chunks" ADD COLUMN "embedded_hash" text;--> statement-breakpoint
CREATE OR REPLACE FUNCTION tsvector_token_count(tsvector) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce(sum(coalesce(array_length(positions, 1), 1)), 0)::integer FROM unnest($1) $$;--> statement-breakpoint
ALTER TABLE "chunks" ADD COLUMN "dl" integer GENERATED ALWAYS AS (tsvector_token_count(to_tsvector('english', title || ' ' || heading || ' ' || summary || ' ' || tags || ' ' || text))) STORED;--> statement-breakpoint
ALTER TABLE "chunks" ADD COLUMN "tsv" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', heading), 'B') || setweight(to_tsvector('english', summary || ' ' || tags), 'C') || setweight(to_tsvector('english', text), 'D')) STORED;--> statement-breakpoint
CREATE INDEX "chunks_tsv_idx" ON "chunks" USING gin ("tsv");--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "projector" text;--> statement-breakpoint
ALTER TABLE "chunks" ADD CONSTRAINT "chunks_concept_id_concepts_id_fk" FOREIGN KEY ("concept_id") REFERENCES "public"."concepts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "chunks_concept_position_key" ON "chunks" USING btree ("concept_id","position");--> statement-breakpoint
CREATE INDEX "chunks_unembedded_idx" ON "chunks" USING btree ("id") WHERE embedded_hash IS DISTINCT FROM hash;--> statement-breakpoint
ALTER TABLE "chunks" ADD CONSTRAINT "chunks_one_owner" CHECK (("chunks"."content_id" IS NULL) <> ("chunks"."concept_id" IS NULL));--> statement-breakpoint
INSERT INTO "outbox" ("entity", "entity_id", "op", "version") SELECT 'content', "id"::text, 'upsert', "version" FROM "content";--> statement-breakpoint
INSERT INTO "outbox" ("entity", "entity_id", "op", "version") SELECT 'concept', "id"::text, 'upsert', "version" FROM "concepts";
