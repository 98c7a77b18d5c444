CREATE TABLE "servers" (
	"server_id" text PRIMARY KEY NOT NULL,
	"hostname" text NOT NULL,
	"host" text NOT NULL,
	"port" integer NOT NULL,
	"region" text,
	"zone" text,
	"version" text NOT NULL,
	"status" text DEFAULT 'online' NOT NULL,
	"public_url" text,
	"ws_url" text,
	"load" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"last_seen" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"registered_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "servers_status_check" CHECK ("servers"."status" in ('online', 'degraded', 'offline'))
);
--> statement-breakpoint
CREATE TABLE "tank_locations" (
	"tank_id" uuid PRIMARY KEY NOT NULL,
	"server_id" text NOT NULL,
	"epoch" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"migrated_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "tank_permissions" (
	"tank_id" uuid NOT NULL,
	"user_id" text NOT NULL,
	"permission" text NOT NULL,
	"granted_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tank_permissions_tank_id_user_id_pk" PRIMARY KEY("tank_id","user_id"),
	CONSTRAINT "tank_permissions_permission_check" CHECK ("tank_permissions"."permission" in ('read', 'write', 'admin'))
);
--> statement-breakpoint
CREATE TABLE "tank_snapshots" (
	"snapshot_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tank_id" uuid NOT NULL,
	"server_id" text NOT NULL,
	"epoch" integer NOT NULL,
	"frame" bigint NOT NULL,
	"state" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tanks" (
	"tank_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"owner" text,
	"is_public" boolean DEFAULT true NOT NULL,
	"allow_transfers" boolean DEFAULT true NOT NULL,
	"seed" bigint,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "transfer_events" (
	"event_id" bigserial PRIMARY KEY NOT NULL,
	"transfer_id" uuid NOT NULL,
	"event_type" text NOT NULL,
	"event_data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "transfer_reservations" (
	"transfer_id" uuid NOT NULL,
	"tank_id" uuid NOT NULL,
	"server_id" text NOT NULL,
	"role" text NOT NULL,
	"entity_uid" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "transfer_reservations_transfer_id_role_pk" PRIMARY KEY("transfer_id","role"),
	CONSTRAINT "transfer_reservations_role_check" CHECK ("transfer_reservations"."role" in ('source', 'dest'))
);
--> statement-breakpoint
CREATE TABLE "transfers" (
	"transfer_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"idempotency_key" text NOT NULL,
	"request_hash" text NOT NULL,
	"source_tank_id" uuid NOT NULL,
	"dest_tank_id" uuid NOT NULL,
	"source_server" text NOT NULL,
	"dest_server" text NOT NULL,
	"entity_id" bigint NOT NULL,
	"entity_uid" text,
	"entity_payload" jsonb,
	"status" text DEFAULT 'initiated' NOT NULL,
	"old_id" bigint,
	"new_id" bigint,
	"error" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"response" jsonb,
	CONSTRAINT "transfers_idempotency_key_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "transfers_status_check" CHECK ("transfers"."status" in ('initiated', 'prepared', 'committed', 'aborted', 'failed'))
);
--> statement-breakpoint
ALTER TABLE "tank_locations" ADD CONSTRAINT "tank_locations_tank_id_tanks_tank_id_fk" FOREIGN KEY ("tank_id") REFERENCES "public"."tanks"("tank_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tank_permissions" ADD CONSTRAINT "tank_permissions_tank_id_tanks_tank_id_fk" FOREIGN KEY ("tank_id") REFERENCES "public"."tanks"("tank_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tank_snapshots" ADD CONSTRAINT "tank_snapshots_tank_id_tanks_tank_id_fk" FOREIGN KEY ("tank_id") REFERENCES "public"."tanks"("tank_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transfer_events" ADD CONSTRAINT "transfer_events_transfer_id_transfers_transfer_id_fk" FOREIGN KEY ("transfer_id") REFERENCES "public"."transfers"("transfer_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tank_locations_server_id_idx" ON "tank_locations" USING btree ("server_id");--> statement-breakpoint
CREATE INDEX "tank_snapshots_tank_id_created_at_idx" ON "tank_snapshots" USING btree ("tank_id","created_at" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "transfer_events_transfer_id_idx" ON "transfer_events" USING btree ("transfer_id","event_id");--> statement-breakpoint
CREATE INDEX "transfer_reservations_server_id_idx" ON "transfer_reservations" USING btree ("server_id");--> statement-breakpoint
CREATE INDEX "transfer_reservations_tank_id_idx" ON "transfer_reservations" USING btree ("tank_id");--> statement-breakpoint
CREATE INDEX "transfers_source_tank_id_idx" ON "transfers" USING btree ("source_tank_id");--> statement-breakpoint
CREATE INDEX "transfers_dest_tank_id_idx" ON "transfers" USING btree ("dest_tank_id");--> statement-breakpoint
CREATE INDEX "transfers_unfinished_idx" ON "transfers" USING btree ("created_at") WHERE "transfers"."status" in ('initiated', 'prepared');