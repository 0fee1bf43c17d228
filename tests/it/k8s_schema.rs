//! The CRD schema validator of [`crate::common::k8s_schema`] catches what the API server
//! would.

use serde_yaml::Value;

use crate::common::k8s_schema::{crd_schema, validate};

#[test]
fn the_validator_catches_what_the_api_server_would() {
    let (_, schema) = crd_schema("flinkdeployments.flink.apache.org-v1.yml");
    let bad: Value = serde_yaml::from_str(
        "apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata: {name: x}\n\
         spec: {flinkVersion: v9_9, job: {parallelism: two, upgradeMode: stateless}, jobManagr: {}}\n",
    )
    .unwrap();
    let errors = validate(&bad, &schema);
    assert!(
        errors.iter().any(|e| e.contains(".spec.flinkVersion") && e.contains("not one of")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains(".spec.job.parallelism: expected integer")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains(".spec.jobManagr: unknown field")), "{errors:?}");
    let good: Value = serde_yaml::from_str(
        "apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata: {name: x}\n\
         spec: {flinkVersion: v2_0, flinkConfiguration: {a.b: '1'}, job: {parallelism: 2, upgradeMode: stateless}}\n",
    )
    .unwrap();
    assert_eq!(validate(&good, &schema), Vec::<String>::new());
}
