CREATE TARGET st_prod TYPE seatunnel WITH (rest_url = 'http://seatunnel:8080');
CREATE PIPELINE nightly_copy WITH (engine = 'seatunnel', mode = 'batch', target = 'st_prod') AS …;
START PIPELINE nightly_copy;       -- POST /submit-job?format=hocon&jobId=… (SeaTunnel 2.3.9+;
                                   -- the id is recorded first: a gateway that stops mid-way
                                   -- finds the job again)
SHOW DEPLOYMENTS;                  -- state and rows_in / rows_out from GET /job-info/{id}
                                   -- (SourceReceivedCount / SinkWriteCount)
SUSPEND PIPELINE nightly_copy;     -- POST /stop-job {isStopWithSavePoint: true}
RESUME PIPELINE nightly_copy;      -- POST /submit-job?jobId=…&isStartWithSavePoint=true
