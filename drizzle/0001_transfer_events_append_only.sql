-- transfer_events is the audit trail of the 2PC coordinator: rows are appended, never changed.
-- drizzle-kit has no notion of triggers, so this migration is hand-written (generate --custom).
-- Row-level UPDATE/DELETE and statement-level TRUNCATE all raise; SQLSTATE 42501
-- (insufficient_privilege) marks it as a refusal rather than a bug in the statement.
CREATE FUNCTION "transfer_events_refuse_change"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'transfer_events is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "transfer_events_append_only"
  BEFORE UPDATE OR DELETE ON "transfer_events"
  FOR EACH ROW EXECUTE FUNCTION "transfer_events_refuse_change"();
--> statement-breakpoint
CREATE TRIGGER "transfer_events_no_truncate"
  BEFORE TRUNCATE ON "transfer_events"
  FOR EACH STATEMENT EXECUTE FUNCTION "transfer_events_refuse_change"();
