-- The saga list's filters: the sagas of one workflow, and those stuck in a running phase (the
-- partial index holds only running sagas, so it stays small however many have finished).
CREATE INDEX sagas_workflow_created_at ON sagas (workflow, created_at DESC);
CREATE INDEX sagas_running_updated_at ON sagas (updated_at) WHERE phase IN ('FORWARD', 'COMPENSATING');
