//! A schedule's DAG: its tasks (pipelines) and the AFTER edges between them, checked
//! when the schedule is created — every AFTER names a task of the schedule, no pipeline
//! runs twice, and there is no cycle (the error prints one: `a -> b -> a`).

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Control, DfsEvent, depth_first_search};
use sluice_catalog::ScheduleTask;

use crate::error::{Result, SluiceError, SqlState};
use crate::sql::ast::schedule::Task;

fn definition(message: String, hint: Option<&str>) -> SluiceError {
    SluiceError::Query {
        state: SqlState::InvalidObjectDefinition,
        message,
        hint: hint.map(str::to_owned),
        pos: None,
    }
}

/// Checks the tasks of schedule `schedule` and returns them as stored.
pub fn check(schedule: &str, tasks: &[Task]) -> Result<Vec<ScheduleTask>> {
    let mut graph: DiGraph<&str, ()> = DiGraph::new();
    let mut index: HashMap<&str, NodeIndex> = HashMap::new();
    for task in tasks {
        let name = task.pipeline.as_str();
        if index.insert(name, graph.add_node(name)).is_some() {
            return Err(SluiceError::DuplicateObject {
                kind: "task",
                name: format!("{name}\" of schedule \"{schedule}"),
            });
        }
    }
    for task in tasks {
        let to = index[task.pipeline.as_str()];
        for upstream in &task.after {
            let Some(&from) = index.get(upstream.as_str()) else {
                return Err(definition(
                    format!(
                        "task \"{}\" of schedule \"{schedule}\" runs AFTER \"{}\", which the schedule does not run",
                        task.pipeline.as_str(),
                        upstream.as_str()
                    ),
                    Some("Add RUN PIPELINE for it to the schedule, or remove it from AFTER."),
                ));
            };
            graph.add_edge(from, to, ());
        }
    }
    if let Some(cycle) = find_cycle(&graph) {
        let path: Vec<&str> = cycle.iter().map(|&n| graph[n]).collect();
        return Err(definition(
            format!("schedule \"{schedule}\" has a cycle: {}", path.join(" -> ")),
            Some("A task may only run AFTER tasks that do not, directly or not, run after it."),
        ));
    }
    Ok(tasks
        .iter()
        .map(|t| ScheduleTask {
            pipeline: t.pipeline.as_str().to_owned(),
            upstream: t.after.iter().map(|a| a.as_str().to_owned()).collect(),
        })
        .collect())
}

/// A cycle as its nodes, the first repeated at the end, or `None`.
fn find_cycle<N>(graph: &DiGraph<N, ()>) -> Option<Vec<NodeIndex>> {
    let mut parent: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut found = None;
    depth_first_search(graph, graph.node_indices(), |event| match event {
        DfsEvent::TreeEdge(u, v) => {
            parent.insert(v, u);
            Control::<()>::Continue
        }
        DfsEvent::BackEdge(u, v) => {
            found = Some((u, v));
            Control::Break(())
        }
        _ => Control::Continue,
    });
    let (last, first) = found?;
    // walk back from `last` to `first` along the tree, then close the loop
    let mut path = vec![last];
    let mut at = last;
    while at != first {
        at = *parent.get(&at)?;
        path.push(at);
    }
    path.reverse();
    path.push(first);
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::sql::ast::Ident;
    use crate::sql::ast::schedule::Task;

    fn tasks(spec: &[(&str, &[&str])]) -> Vec<Task> {
        spec.iter()
            .map(|(p, after)| Task {
                pipeline: Ident::new(*p),
                after: after.iter().map(|a| Ident::new(*a)).collect(),
            })
            .collect()
    }

    #[test]
    fn a_dag_is_kept_in_order() {
        let dag = check("s", &tasks(&[("a", &[]), ("b", &[]), ("c", &["a", "b"])])).expect("a DAG");
        assert_eq!(dag[2].upstream, vec!["a".to_owned(), "b".to_owned()]);
    }

    #[test]
    fn cycles_print_their_path() {
        let err = check("s", &tasks(&[("a", &["c"]), ("b", &["a"]), ("c", &["b"]), ("d", &[])]))
            .expect_err("cycle");
        assert_eq!(err.sqlstate().code(), "42P17");
        let message = err.message();
        assert!(message.contains("a -> b -> c -> a"), "{message}");
        let err = check("s", &tasks(&[("a", &["a"])])).expect_err("self loop");
        assert!(err.message().contains("a -> a"), "{}", err.message());
    }

    #[test]
    fn unknown_upstreams_and_twice_run_pipelines_are_refused() {
        let err = check("s", &tasks(&[("a", &["x"])])).expect_err("unknown");
        assert!(err.message().contains("\"x\""), "{}", err.message());
        let err = check("s", &tasks(&[("a", &[]), ("a", &[])])).expect_err("twice");
        assert_eq!(err.sqlstate().code(), "42710");
    }
}
