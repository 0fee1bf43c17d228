-- application mode: a Flink cluster per pipeline (FlinkDeployment running Flink's SqlDriver)
CREATE TARGET k8s_prod TYPE kubernetes WITH (
  namespace = 'flink', flink_version = 'v2_0', image = 'flink:2.0',
  kubeconfig = '/etc/sluice/kubeconfig',      -- else KUBECONFIG, ~/.kube/config or in-cluster
  connector_jars = 'mysql: https://repo1.maven.org/…/flink-sql-connector-mysql-cdc-3.4.0.jar');
TEST TARGET k8s_prod;                          -- API server, namespace, operator CRDs
START PIPELINE orders_fanout ON TARGET k8s_prod;   -- returns when the operator reports the job
                                                   -- RUNNING, or with the operator's error (58000)
SUSPEND PIPELINE orders_fanout;                -- spec.job.state: suspended (upgradeMode savepoint)
RESUME PIPELINE orders_fanout;                 -- re-applied from that savepoint
STOP PIPELINE orders_fanout WITH SAVEPOINT;    -- savepointTriggerNonce, then suspended
DROP PIPELINE orders_fanout;                   -- deletes the FlinkDeployment (and what it owns)

-- session mode: FlinkSessionJobs on a session cluster
CREATE TARGET k8s_shared TYPE kubernetes WITH (namespace = 'flink', mode = 'session',
  session_cluster = 'shared-session', runner_jar = '/opt/sluice/sluice-sql-runner.jar');
CREATE PIPELINE enrich WITH (jars = 'https://repo.example/udfs.jar, /opt/sluice/jars/geo.jar') AS …;
