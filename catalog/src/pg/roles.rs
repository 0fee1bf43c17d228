//! `pg_roles` and `pg_auth_members` from the store: every role with the attributes it
//! has, and every membership, joined on role oids as PostgreSQL's are (psql's `\du` and
//! `\drg`, DBeaver's role browser). datafusion-pg-catalog lists the roles with oid 0 and
//! no memberships.
//!
//! Roles have no stored oid: the first superuser (the gateway's own, which owns every
//! catalog object) is 10 as in PostgreSQL, any other a stable hash of its name above the
//! oids PostgreSQL reserves.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::ScalarValue;
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;

use super::objects::{Row, rows_batch};
use crate::store::Store;

/// The oid of role `name`; `owner` is the role that owns the catalog (oid 10).
pub fn role_oid(name: &str, owner: &str) -> i32 {
    if name == owner {
        return 10;
    }
    // folded into [16384, 16384 + 2^30)
    16384 + (name_hash(name) & 0x3fff_ffff) as i32
}

/// FNV-1a of `name`: the stable hash the oids of objects without a stored oid derive from.
pub(super) fn name_hash(name: &str) -> u32 {
    name.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

/// Which table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Roles,
    AuthMembers,
}

/// `pg_roles` or `pg_auth_members`, read from the store at every scan.
#[derive(Debug)]
pub struct RoleTable {
    pub listing: Listing,
    pub schema: SchemaRef,
    pub store: Store,
    pub owner: String,
}

impl RoleTable {
    async fn rows(&self) -> Result<Vec<Row>> {
        let external = |e: crate::error::StoreError| DataFusionError::External(Box::new(e));
        let oid = |name: &str| ScalarValue::Int32(Some(role_oid(name, &self.owner)));
        let yes = |b: bool| ScalarValue::Boolean(Some(b));
        Ok(match self.listing {
            Listing::Roles => self
                .store
                .roles()
                .await
                .map_err(external)?
                .into_iter()
                .map(|r| {
                    vec![
                        ("oid", oid(&r.name)),
                        ("rolname", ScalarValue::Utf8(Some(r.name.clone()))),
                        ("rolsuper", yes(r.superuser)),
                        ("rolinherit", yes(r.inherit)),
                        ("rolcreaterole", yes(r.superuser)),
                        ("rolcreatedb", yes(r.superuser)),
                        ("rolcanlogin", yes(r.can_login)),
                        ("rolreplication", yes(false)),
                        ("rolconnlimit", ScalarValue::Int32(Some(-1))),
                        ("rolpassword", ScalarValue::Utf8(Some("********".into()))),
                        ("rolbypassrls", yes(r.superuser)),
                    ]
                })
                .collect(),
            Listing::AuthMembers => self
                .store
                .memberships()
                .await
                .map_err(external)?
                .into_iter()
                .enumerate()
                .map(|(i, m)| {
                    vec![
                        ("oid", ScalarValue::Int32(Some(20000 + i as i32))),
                        ("roleid", oid(&m.role)),
                        ("member", oid(&m.member)),
                        ("grantor", oid(&m.grantor)),
                        ("admin_option", yes(m.admin_option)),
                        ("inherit_option", yes(m.inherit)),
                        ("set_option", yes(true)),
                    ]
                })
                .collect(),
        })
    }
}

#[async_trait]
impl TableProvider for RoleTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let rows = self.rows().await?;
        let batch = rows_batch(&self.schema, &rows)?;
        MemorySourceConfig::try_new_exec(&[vec![batch]], self.schema.clone(), projection.cloned())
            .map(|exec| exec as Arc<dyn ExecutionPlan>)
    }
}
