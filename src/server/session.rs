//! One connection's state: who is connected, their parameters, their DataFusion context
//! and plan cache, and the prepared statements they named.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use datafusion::execution::SessionState;
use datafusion::prelude::SessionContext;
use pgwire::types::format::FormatOptions;

use super::cancel::CancelSlot;
use super::params::{Reported, SessionParams};
use crate::engine::{Connected, ContextSettings, PlanCache};
use crate::handler::BoundPreview;
use crate::runtime::Runtime;

/// A connection's state, created when authentication succeeds.
pub struct Session {
    pub user: String,
    pub superuser: bool,
    params: Arc<RwLock<SessionParams>>,
    /// `TimeZone`, kept at hand for the constant cache.
    time_zone: String,
    context: Option<SessionContext>,
    /// The context's state, taken once: planning a statement reads it rather than cloning
    /// the context's (its function registries, options and catalogs) every time.
    state: Option<Arc<SessionState>>,
    /// Grows whenever a planning setting (search_path, TimeZone) changes, so that plans
    /// prepared under the old settings are made again.
    generation: u64,
    built_with: Option<ContextSettings>,
    pub plans: PlanCache,
    /// PREVIEWs bound over the live tables, by the text of what they preview.
    pub previews: PlanCache<BoundPreview>,
    format: Option<Arc<FormatOptions>>,
    /// Names of the named prepared statements (for DEALLOCATE ALL and duplicate checks).
    pub prepared: HashSet<String>,
    pub cancel: Arc<CancelSlot>,
    /// Set by ROLLBACK TO SAVEPOINT on the extended protocol: the block is usable again
    /// from the next Sync (pgwire restores the failed status at the end of Execute).
    pub savepoint_restored: bool,
    /// A NOTICE that catalog changes are not transactional was sent in this block.
    pub warned_in_transaction: bool,
    /// The source connected to as a database (`None`: the gateway's own, `sluice`).
    pub database: Option<Connected>,
}

impl Session {
    pub fn new(user: String, superuser: bool, params: SessionParams, cancel: Arc<CancelSlot>) -> Session {
        let mut params = params;
        params.set_internal("is_superuser", if superuser { "on" } else { "off" });
        params.set_internal("session_authorization", user.clone());
        let time_zone = params.get("TimeZone").unwrap_or_default();
        Session {
            user,
            superuser,
            time_zone,
            params: Arc::new(RwLock::new(params)),
            context: None,
            state: None,
            generation: 0,
            built_with: None,
            plans: PlanCache::default(),
            previews: PlanCache::default(),
            format: None,
            prepared: HashSet::new(),
            cancel,
            warned_in_transaction: false,
            savepoint_restored: false,
            database: None,
        }
    }

    /// Changes whenever plans made earlier in this session may no longer be right.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The session's `TimeZone`.
    pub fn time_zone(&self) -> &str {
        &self.time_zone
    }

    /// Reads the parameters.
    pub fn params(&self) -> std::sync::RwLockReadGuard<'_, SessionParams> {
        self.params.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Changes the parameters with `f`; settings that DataFusion plans with take effect
    /// from the next statement.
    pub fn update_params<T>(&mut self, f: impl FnOnce(&mut SessionParams) -> T) -> T {
        let result = {
            let mut guard = self.params.write().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut guard)
        };
        self.format = None;
        let time_zone = self.params().get("TimeZone").unwrap_or_default();
        self.time_zone = time_zone;
        let settings = self.context_settings();
        let stale = self.context.as_ref().is_some_and(|_| self.context_settings_changed(&settings));
        if stale {
            self.context = None;
            self.state = None;
            self.plans.clear();
            self.previews.clear();
            self.generation += 1;
        }
        result
    }

    fn context_settings(&self) -> ContextSettings {
        let params = self.params();
        ContextSettings {
            user: self.user.clone(),
            search_path: params.search_path(&self.user),
            time_zone: params.get("TimeZone").unwrap_or_else(|| "UTC".into()),
            database: self.database.clone(),
        }
    }

    fn context_settings_changed(&self, settings: &ContextSettings) -> bool {
        self.built_with.as_ref() != Some(settings)
    }

    /// This connection's DataFusion context, built on first use (cheap to clone).
    pub fn context(&mut self, rt: &Runtime) -> SessionContext {
        if let Some(ctx) = &self.context {
            return ctx.clone();
        }
        let settings = self.context_settings();
        let params = self.params.clone();
        let lookup: sluice_functions::session::SettingLookup = Arc::new(move |name: &str| {
            let p = params.read().unwrap_or_else(|poisoned| poisoned.into_inner());
            p.get(name)
        });
        let ctx = rt.engine.context(&settings, lookup);
        self.built_with = Some(settings);
        self.context = Some(ctx.clone());
        ctx
    }

    /// The state of [`Session::context`], shared by the statements planned until a planning
    /// setting changes.
    pub fn state(&mut self, rt: &Runtime) -> Arc<SessionState> {
        if let Some(state) = &self.state {
            return state.clone();
        }
        let state = Arc::new(self.context(rt).state());
        self.state = Some(state.clone());
        state
    }

    /// Text/binary formatting options from DateStyle, IntervalStyle, extra_float_digits …
    pub fn format_options(&mut self) -> Arc<FormatOptions> {
        if let Some(f) = &self.format {
            return f.clone();
        }
        let params = self.params();
        let mut options = FormatOptions::default();
        if let Some(v) = params.get("DateStyle") {
            options.date_style = v;
        }
        if let Some(v) = params.get("IntervalStyle") {
            options.interval_style = v;
        }
        if let Some(v) = params.get("bytea_output") {
            options.bytea_output = v;
        }
        if let Some(v) = params.get("TimeZone") {
            options.time_zone = v;
        }
        if let Some(v) = params.get("extra_float_digits").and_then(|v| v.parse().ok()) {
            options.extra_float_digits = v;
        }
        drop(params);
        let options = Arc::new(options);
        self.format = Some(options.clone());
        options
    }

    /// ParameterStatus values to report at start-up.
    pub fn reported_params(&self) -> Vec<Reported> {
        let params = self.params();
        crate::parameters::PARAMS
            .iter()
            .filter(|p| p.reported)
            .map(|p| Reported { name: p.name, value: params.get(p.name).unwrap_or_default() })
            .collect()
    }
}
