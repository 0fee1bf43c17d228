//! The closed sets of values the store keeps as text — a pipeline's engine and mode, a
//! deployment's engine and state — as enums. Rows are decoded into them where they are
//! read ([`crate::store`]); a value outside the set is a corrupt catalog
//! ([`crate::StoreError::Corrupt`]), never a silent default.

/// Declares an enum kept as text (in the store, or in validated options): `as_str`,
/// `ALL`, `Display` and `FromStr` (whose error names the value and lists the known ones).
#[macro_export]
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as the store and the clients see it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;

            fn from_str(text: &str) -> ::std::result::Result<$name, String> {
                $name::ALL.iter().copied().find(|v| v.as_str() == text).ok_or_else(|| {
                    let known: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    format!("unknown {} '{text}' (known: {})", stringify!($name), known.join(", "))
                })
            }
        }
    };
}

text_enum! {
    /// What a pipeline is compiled for.
    PipelineEngine {
        /// Apache Flink SQL.
        Flink => "flink",
        /// Apache SeaTunnel (Zeta) jobs.
        SeaTunnel => "seatunnel",
        /// Flink CDC pipelines (YAML).
        FlinkCdc => "flink-cdc",
    }
}

text_enum! {
    /// Whether a pipeline reads bounded snapshots or unbounded change streams.
    PipelineMode {
        Batch => "batch",
        Streaming => "streaming",
    }
}

text_enum! {
    /// What runs a deployment's job: the pipeline's engine, or the gateway itself.
    JobEngine {
        Flink => "flink",
        SeaTunnel => "seatunnel",
        FlinkCdc => "flink-cdc",
        /// The `local` target: DataFusion inside the gateway.
        DataFusion => "datafusion",
    }
}

impl From<PipelineEngine> for JobEngine {
    fn from(engine: PipelineEngine) -> JobEngine {
        match engine {
            PipelineEngine::Flink => JobEngine::Flink,
            PipelineEngine::SeaTunnel => JobEngine::SeaTunnel,
            PipelineEngine::FlinkCdc => JobEngine::FlinkCdc,
        }
    }
}

text_enum! {
    /// Where a deployment is in its life.
    DeploymentState {
        /// Recorded; the job is being handed to the engine.
        Submitting => "submitting",
        /// The engine accepted the job and runs it.
        Running => "running",
        /// STOP was asked; waiting for the engine.
        Stopping => "stopping",
        /// SUSPEND was asked; waiting for the savepoint.
        Suspending => "suspending",
        /// A bounded job ended with success.
        Finished => "finished",
        /// The engine (or the submission) failed; `last_error` says why.
        Failed => "failed",
        /// Stopped by STOP (with its savepoint when one was taken).
        Stopped => "stopped",
        /// Stopped by SUSPEND; RESUME starts it from its savepoint.
        Suspended => "suspended",
        /// The artifacts were written (the `directory` target).
        Rendered => "rendered",
    }
}

impl DeploymentState {
    /// The states in which a deployment holds its pipeline (at most one per pipeline).
    pub const ACTIVE: &'static [DeploymentState] = &[
        DeploymentState::Submitting,
        DeploymentState::Running,
        DeploymentState::Stopping,
        DeploymentState::Suspending,
    ];

    /// Whether the deployment holds its pipeline.
    pub fn is_active(self) -> bool {
        DeploymentState::ACTIVE.contains(&self)
    }

    /// The edges of the state machine.
    pub fn can_move_to(self, to: DeploymentState) -> bool {
        use DeploymentState::*;
        matches!(
            (self, to),
            (Submitting, Running | Failed | Finished | Rendered | Stopped)
                | (Running, Running | Finished | Failed | Stopping | Suspending | Stopped)
                | (Stopping, Stopped | Failed | Finished | Running)
                | (Suspending, Suspended | Failed | Running)
                | (Stopped | Suspended, Submitting)
        )
    }

    /// The states from which `to` may be entered.
    pub fn sources(to: DeploymentState) -> Vec<DeploymentState> {
        DeploymentState::ALL.iter().copied().filter(|s| s.can_move_to(to)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_through_its_text() {
        for s in DeploymentState::ALL {
            assert_eq!(s.as_str().parse::<DeploymentState>(), Ok(*s));
        }
        for e in PipelineEngine::ALL {
            assert_eq!(e.to_string().parse::<PipelineEngine>(), Ok(*e));
            assert_eq!(JobEngine::from(*e).as_str(), e.as_str());
        }
        assert_eq!("streaming".parse::<PipelineMode>(), Ok(PipelineMode::Streaming));
        let err = "flinky".parse::<PipelineEngine>().expect_err("unknown");
        assert!(err.contains("'flinky'") && err.contains("flink, seatunnel, flink-cdc"), "{err}");
    }

    #[test]
    fn the_state_machine_lets_only_stopped_or_suspended_deployments_start_again() {
        assert_eq!(
            DeploymentState::sources(DeploymentState::Submitting),
            [DeploymentState::Stopped, DeploymentState::Suspended]
        );
        assert!(!DeploymentState::Finished.can_move_to(DeploymentState::Running));
        assert!(DeploymentState::Stopping.is_active() && !DeploymentState::Failed.is_active());
    }
}
