//! The HOCON reader of [`crate::common::hocon`] reads the upstream SeaTunnel configs.

use crate::common::hocon::parse;

#[test]
fn the_upstream_seatunnel_configs_parse() {
    let dir = crate::common::repo().join("tests/fixtures/seatunnel");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "conf") {
            let text = std::fs::read_to_string(&path).unwrap();
            let config = parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            for block in ["env", "source", "sink"] {
                assert!(config.get(block).is_some(), "{}: no {block}", path.display());
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 4);
    let fan = parse(
        &std::fs::read_to_string(dir.join("batch_fake_to_console_with_duplicated_transform.conf")).unwrap(),
    )
    .unwrap();
    assert_eq!(fan.get("sink").unwrap().entries().len(), 2, "two console sinks stay two");
}
