//! Messages sent to the client beside a statement's result (NOTICE, WARNING). Services
//! and the planner emit them; the wire layer sends them before the result.

/// A message sent to the client beside the result (NOTICE, WARNING).
#[derive(Debug, Clone)]
pub struct Notice {
    pub severity: &'static str,
    pub code: &'static str,
    pub message: String,
    pub hint: Option<String>,
}

impl Notice {
    #[allow(clippy::self_named_constructors)] // Notice::notice / Notice::warning: by severity
    pub fn notice(message: impl Into<String>) -> Notice {
        Notice { severity: "NOTICE", code: "00000", message: message.into(), hint: None }
    }

    pub fn warning(message: impl Into<String>, hint: Option<&str>) -> Notice {
        Notice { severity: "WARNING", code: "01000", message: message.into(), hint: hint.map(str::to_owned) }
    }
}
