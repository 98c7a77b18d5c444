-- Idempotency keys belong to the user who sent them: unique per (key, user), no longer globally,
-- so another user's request with the same key gets its own transfer and learns nothing of this one.
-- Rows logged before have no known sender: they get '' (no token's subject is empty), and the
-- default is dropped at once so every new row must name its user.
ALTER TABLE "transfers" DROP CONSTRAINT "transfers_idempotency_key_unique";--> statement-breakpoint
ALTER TABLE "transfers" ADD COLUMN "requested_by" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "transfers" ALTER COLUMN "requested_by" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "transfers" ADD CONSTRAINT "transfers_idempotency_key_requested_by_unique" UNIQUE("idempotency_key","requested_by");
