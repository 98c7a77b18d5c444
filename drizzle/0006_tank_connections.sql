CREATE TABLE "tank_connections" (
	"connection_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source_tank_id" uuid NOT NULL,
	"dest_tank_id" uuid NOT NULL,
	"source_mouth" text NOT NULL,
	"dest_mouth" text NOT NULL,
	"direction" text DEFAULT 'one_way' NOT NULL,
	"rate_per_minute" integer DEFAULT 60 NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tank_connections_pair_unique" UNIQUE("source_tank_id","dest_tank_id"),
	CONSTRAINT "tank_connections_no_loop" CHECK ("tank_connections"."source_tank_id" <> "tank_connections"."dest_tank_id"),
	CONSTRAINT "tank_connections_source_mouth_check" CHECK ("tank_connections"."source_mouth" in ('left', 'right', 'top', 'bottom')),
	CONSTRAINT "tank_connections_dest_mouth_check" CHECK ("tank_connections"."dest_mouth" in ('left', 'right', 'top', 'bottom')),
	CONSTRAINT "tank_connections_direction_check" CHECK ("tank_connections"."direction" in ('one_way', 'both')),
	CONSTRAINT "tank_connections_rate_check" CHECK ("tank_connections"."rate_per_minute" between 1 and 600)
);
--> statement-breakpoint
ALTER TABLE "tank_connections" ADD CONSTRAINT "tank_connections_source_tank_id_tanks_tank_id_fk" FOREIGN KEY ("source_tank_id") REFERENCES "public"."tanks"("tank_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tank_connections" ADD CONSTRAINT "tank_connections_dest_tank_id_tanks_tank_id_fk" FOREIGN KEY ("dest_tank_id") REFERENCES "public"."tanks"("tank_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tank_connections_dest_idx" ON "tank_connections" USING btree ("dest_tank_id");--> statement-breakpoint
CREATE INDEX "tank_connections_created_idx" ON "tank_connections" USING btree ("created_at","connection_id");