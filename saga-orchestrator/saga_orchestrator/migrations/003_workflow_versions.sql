-- Each saga runs on the workflow version it started with; each version's definition is stored once,
-- under its content hash, so that sagas on a version no longer deployed can still be finished.
-- The sagas started before versions existed ran on version 1, which these definitions began with.
CREATE TABLE workflow_definitions (
    digest     text PRIMARY KEY,
    workflow   text NOT NULL,
    version    int NOT NULL,
    definition jsonb NOT NULL,
    stored_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workflow, version)
);
ALTER TABLE sagas ADD COLUMN workflow_version int NOT NULL DEFAULT 1;
-- A key names a saga within its workflow: another workflow may use the same key.
ALTER TABLE sagas DROP CONSTRAINT sagas_saga_key_key;
ALTER TABLE sagas ADD CONSTRAINT sagas_workflow_saga_key_key UNIQUE (workflow, saga_key);
