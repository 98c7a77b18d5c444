ALTER TABLE "transfer_reservations" ADD COLUMN "state" text DEFAULT 'open' NOT NULL;--> statement-breakpoint
ALTER TABLE "transfer_reservations" ADD COLUMN "seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "transfer_reservations" ADD CONSTRAINT "transfer_reservations_state_check" CHECK ("transfer_reservations"."state" in ('open', 'departed', 'arrived', 'returned'));