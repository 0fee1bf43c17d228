//! Roles for `pg_catalog.pg_roles` and friends, read from the store.

use async_trait::async_trait;
use datafusion_pg_catalog::pg_catalog::context::{PgCatalogContextProvider, Role as PgRole};

use crate::store::Store;

/// Supplies datafusion-pg-catalog with the store's roles.
#[derive(Debug, Clone)]
pub struct StoreRoles(pub Store);

#[async_trait]
impl PgCatalogContextProvider for StoreRoles {
    async fn roles(&self) -> Vec<String> {
        match self.0.roles().await {
            Ok(roles) => roles.into_iter().map(|r| r.name).collect(),
            Err(e) => {
                tracing::warn!(error = %e, "could not list roles for pg_catalog");
                Vec::new()
            }
        }
    }

    async fn role(&self, name: &str) -> Option<PgRole> {
        match self.0.role(name).await {
            Ok(Some(role)) => Some(PgRole {
                name: role.name,
                is_superuser: role.superuser,
                can_login: role.can_login,
                can_create_db: role.superuser,
                can_create_role: role.superuser,
                can_create_user: role.superuser,
                can_replication: false,
                grants: Vec::new(),
                inherited_roles: Vec::new(),
            }),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, role = name, "could not read role for pg_catalog");
                None
            }
        }
    }
}
