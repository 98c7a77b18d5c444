ALTER TABLE "tanks" ADD COLUMN "fish_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tanks" ADD COLUMN "generation" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "tanks_created_idx" ON "tanks" USING btree ("created_at","tank_id");--> statement-breakpoint
CREATE INDEX "tanks_name_idx" ON "tanks" USING btree ("name","tank_id");--> statement-breakpoint
CREATE INDEX "tanks_fish_count_idx" ON "tanks" USING btree ("fish_count","tank_id");--> statement-breakpoint
CREATE INDEX "tanks_generation_idx" ON "tanks" USING btree ("generation","tank_id");--> statement-breakpoint
CREATE INDEX "tanks_name_words_idx" ON "tanks" USING gin (to_tsvector('simple', "name"));