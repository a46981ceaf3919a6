/**
 * PostgreSQL only: the group role an operator grants to the sink's login. It may read and
 * insert, nothing else: no UPDATE, DELETE or TRUNCATE, and as it owns nothing it cannot
 * disable a trigger. Roles are per cluster, so a second database's migration reuses it.
 */
export const version = 2
export const name = 'writer role'
export const backends = ['postgres'] as const

export const sql = /* sql */ `
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'portcullis_audit_writer') THEN
    CREATE ROLE portcullis_audit_writer NOLOGIN;
  END IF;
END
$$;
REVOKE ALL ON audit_events, audit_checkpoints, audit_migrations FROM PUBLIC;
REVOKE ALL ON audit_events, audit_checkpoints, audit_migrations FROM portcullis_audit_writer;
GRANT SELECT, INSERT ON audit_events, audit_checkpoints TO portcullis_audit_writer;
GRANT SELECT ON audit_migrations TO portcullis_audit_writer;
`
