CREATE TARGET k8s_prod TYPE kubernetes
  WITH (namespace = 'flink', flink_version = 'v2_0', image = 'flink:2.0', mode = 'application');
CREATE TARGET dev_flink TYPE flink WITH (rest_url = 'http://127.0.0.1:8081');      -- a session cluster
CREATE TARGET st_prod  TYPE seatunnel WITH (rest_url = 'http://seatunnel:8080');   -- Zeta engine REST v2
CREATE TARGET render   TYPE directory WITH (path = './deployments');               -- write artifacts only
SHOW TARGETS;  TEST TARGET dev_flink;  DROP TARGET render;
