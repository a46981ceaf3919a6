/**
 * The two append-only tables, their indexes and the triggers that keep them append-only.
 * Hash columns are checked by length only: a regular expression there cost more than the
 * rest of the insert (verify checks every hash anyway).
 */
export const version = 1
export const name = 'audit tables'

export const sql = /* sql */ `
CREATE TABLE audit_events (
  seq         bigint PRIMARY KEY CHECK (seq >= 1),
  event_id    text NOT NULL UNIQUE,
  sink        text NOT NULL,
  time        timestamptz NOT NULL,
  request_id  text NOT NULL,
  stage       text NOT NULL,
  component   text NOT NULL,
  verdict     text NOT NULL,
  code        text,
  reason      text,
  method      text,
  host        text,
  port        integer,
  path        text,
  status      integer,
  latency_ms  double precision,
  actor       text,
  body_digest text,
  prev_hash   text NOT NULL CHECK (octet_length(prev_hash) = 64),
  hash        text NOT NULL CHECK (octet_length(hash) = 64)
);
CREATE INDEX audit_events_request_id ON audit_events (request_id);
CREATE INDEX audit_events_time ON audit_events (time);

CREATE TABLE audit_checkpoints (
  seq         bigint PRIMARY KEY CHECK (seq >= 1),
  head_hash   text NOT NULL CHECK (octet_length(head_hash) = 64),
  time        timestamptz NOT NULL,
  key_id      text NOT NULL,
  signature   text NOT NULL
);

CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'PCA01',
          HINT = 'audit rows are never changed or removed; portcullis audit verify checks them';
END
$$;

CREATE TRIGGER audit_events_append_only
  BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_events_no_truncate
  BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_append_only
  BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate
  BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
`
