-- What refers to a pipeline by name is tied to it by a foreign key, checked at COMMIT
-- (a pipeline and what refers to it are written in one transaction, in either order):
-- its deployments go with it, a schedule task or a sync keeps it from being dropped,
-- and a renamed pipeline takes them along. Rows left by pipelines dropped before this
-- version go.
DELETE FROM deployments WHERE pipeline NOT IN (SELECT name FROM pipelines);
ALTER TABLE deployments ADD CONSTRAINT deployments_pipeline_fkey FOREIGN KEY (pipeline)
    REFERENCES pipelines(name) ON DELETE CASCADE ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED;
DELETE FROM schedule_tasks WHERE pipeline NOT IN (SELECT name FROM pipelines)
    OR schedule NOT IN (SELECT name FROM schedules);
ALTER TABLE schedule_tasks ADD CONSTRAINT schedule_tasks_pipeline_fkey FOREIGN KEY (pipeline)
    REFERENCES pipelines(name) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE schedule_tasks ADD CONSTRAINT schedule_tasks_schedule_fkey FOREIGN KEY (schedule)
    REFERENCES schedules(name) ON DELETE CASCADE ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED;
DELETE FROM syncs WHERE name NOT IN (SELECT name FROM pipelines);
ALTER TABLE syncs ADD CONSTRAINT syncs_pipeline_fkey FOREIGN KEY (name)
    REFERENCES pipelines(name) ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED;
