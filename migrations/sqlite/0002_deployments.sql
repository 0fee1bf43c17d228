-- One active deployment per pipeline, enforced by the store itself, so two gateways
-- sharing one catalog cannot both START a pipeline.
CREATE UNIQUE INDEX deployments_one_active ON deployments (pipeline)
    WHERE state IN ('submitting', 'running', 'stopping', 'suspending');
CREATE INDEX deployments_by_state ON deployments (state);
-- The savepoint a deployment started (or resumed) from.
ALTER TABLE deployments ADD COLUMN started_from TEXT;
