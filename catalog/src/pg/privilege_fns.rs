//! `has_table_privilege`, `has_schema_privilege` and `has_database_privilege`, answered
//! from the grants (datafusion-pg-catalog's answer `true` to everything). They read the
//! store, so they are async functions, built per session for its user.
//!
//! How PostgreSQL's objects map onto Sluice's (see [`crate::privileges`]):
//! - a table `source.database.table` (or `source.table`): SELECT needs SELECT on the
//!   source; INSERT, UPDATE, DELETE, TRUNCATE (what a pipeline's sink does) need USAGE.
//!   The gateway's own tables (`sluice.*`, `pg_catalog.*`, any table named by oid) can be
//!   read by everyone and written by no one.
//! - a schema: the gateway's schemas have USAGE for everyone; a source's name (or
//!   `source.database`) has USAGE with SELECT on the source; CREATE on none.
//! - the database `sluice`: CONNECT and TEMPORARY for everyone, CREATE as granted; a
//!   source's database: CONNECT and TEMPORARY with SELECT on the source, CREATE never.
//! - in a session connected to a source's database, its schemas and tables are the
//!   source's: USAGE and SELECT need SELECT on it (INSERT … USAGE), whatever the name
//!   (`pg_catalog` and `information_schema` stay the gateway's).
//!
//! A privilege list (`'SELECT, INSERT'`) is true when any is held; `… WITH GRANT OPTION`
//! asks whether the role may grant it.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::async_udf::{AsyncScalarUDF, AsyncScalarUDFImpl};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};

use super::databases::SHARED_SCHEMAS;
use crate::privileges::{Access, DATABASE, ObjectKind, Privilege};
use crate::store::Store;

/// The schemas of the gateway itself.
const GATEWAY_SCHEMAS: [&str; 4] = ["sluice", "pg_catalog", "information_schema", "public"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Which {
    Table,
    Schema,
    Database,
}

impl Which {
    fn name(self) -> &'static str {
        match self {
            Which::Table => "has_table_privilege",
            Which::Schema => "has_schema_privilege",
            Which::Database => "has_database_privilege",
        }
    }
}

/// The three functions for a session of `user`, connected to the database of source
/// `database` (`None`: the gateway's own).
pub fn all(store: Store, user: &str, database: Option<&str>) -> Vec<ScalarUDF> {
    [Which::Table, Which::Schema, Which::Database]
        .into_iter()
        .map(|which| {
            let f = HasPrivilege {
                which,
                signature: Signature::one_of(
                    vec![TypeSignature::Any(2), TypeSignature::Any(3)],
                    Volatility::Stable,
                ),
                store: store.clone(),
                user: user.to_owned(),
                database: database.map(str::to_owned),
            };
            AsyncScalarUDF::new(Arc::new(f)).into_scalar_udf()
        })
        .collect()
}

#[derive(Debug)]
struct HasPrivilege {
    which: Which,
    signature: Signature,
    store: Store,
    user: String,
    /// The source whose database the session is connected to.
    database: Option<String>,
}

impl PartialEq for HasPrivilege {
    fn eq(&self, other: &Self) -> bool {
        self.which == other.which && self.user == other.user
    }
}

impl Eq for HasPrivilege {}

impl std::hash::Hash for HasPrivilege {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.which.hash(state);
        self.user.hash(state);
    }
}

impl ScalarUDFImpl for HasPrivilege {
    fn name(&self) -> &str {
        self.which.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Err(DataFusionError::Internal(format!("{} runs asynchronously", self.name())))
    }
}

/// An argument as text (oids as their decimal text), row by row.
fn texts(array: &ArrayRef) -> Result<Vec<Option<String>>> {
    let text = cast(array, &DataType::Utf8)?;
    let text = text.as_string::<i32>();
    Ok((0..text.len()).map(|i| (!text.is_null(i)).then(|| text.value(i).to_owned())).collect())
}

fn is_oid(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// A dotted name's parts, unquoted (`"A".b` → `A`, `b`), lower-cased unless quoted.
fn parts(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            '"' => {
                quoted = !quoted;
                was_quoted = true;
            }
            '.' if !quoted => {
                out.push(if was_quoted {
                    std::mem::take(&mut current)
                } else {
                    std::mem::take(&mut current).to_lowercase()
                });
                was_quoted = false;
            }
            c => current.push(c),
        }
    }
    out.push(if was_quoted { current } else { current.to_lowercase() });
    out
}

/// Each privilege of a list, and whether the grant option is asked for.
fn privileges(text: &str) -> Vec<(String, bool)> {
    text.split(',')
        .map(|p| {
            let p = p.trim().to_uppercase();
            match p.strip_suffix(" WITH GRANT OPTION") {
                Some(base) => (base.trim().to_owned(), true),
                None => (p, false),
            }
        })
        .collect()
}

impl HasPrivilege {
    async fn access(&self, cache: &mut HashMap<String, Access>, role: &str) -> Result<Access> {
        if let Some(a) = cache.get(role) {
            return Ok(a.clone());
        }
        let access = self
            .store
            .access(role)
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?
            .ok_or_else(|| DataFusionError::Plan(format!("role \"{role}\" does not exist")))?;
        cache.insert(role.to_owned(), access.clone());
        Ok(access)
    }

    async fn source_owner(&self, name: &str) -> Result<Option<String>> {
        self.store.owner(ObjectKind::Source, name).await.map_err(|e| DataFusionError::External(Box::new(e)))
    }

    /// Whether `access` has `privilege` (with grant option when `grant`) on the source.
    fn on_source(access: &Access, source: &str, owner: &str, privilege: Privilege, grant: bool) -> bool {
        if grant {
            access.may_grant(ObjectKind::Source, source, Some(owner), privilege)
        } else {
            access.has(ObjectKind::Source, source, Some(owner), privilege)
        }
    }

    async fn answer(&self, access: &Access, object: &str, privilege: &str, grant: bool) -> Result<bool> {
        if let Some(answer) = self.in_source_database(access, object, privilege, grant).await? {
            return Ok(answer);
        }
        match self.which {
            Which::Database => {
                if !is_oid(object) && object != DATABASE {
                    let Some(owner) = self.source_owner(object).await? else {
                        return Err(DataFusionError::Plan(format!("database \"{object}\" does not exist")));
                    };
                    return Ok(matches!(privilege, "CONNECT" | "TEMPORARY" | "TEMP")
                        && Self::on_source(access, object, &owner, Privilege::Select, grant));
                }
                Ok(match privilege {
                    "CREATE" if grant => {
                        access.may_grant(ObjectKind::Database, DATABASE, None, Privilege::Create)
                    }
                    "CREATE" => access.has(ObjectKind::Database, DATABASE, None, Privilege::Create),
                    "CONNECT" | "TEMPORARY" | "TEMP" => true,
                    other => {
                        return Err(DataFusionError::Plan(format!(
                            "unrecognized privilege type: \"{other}\""
                        )));
                    }
                })
            }
            Which::Schema => {
                let names = parts(object);
                if is_oid(object) || GATEWAY_SCHEMAS.contains(&names[0].as_str()) {
                    return Ok(privilege == "USAGE" && (!grant || access.superuser));
                }
                let Some(owner) = self.source_owner(&names[0]).await? else {
                    return Err(DataFusionError::Plan(format!("schema \"{object}\" does not exist")));
                };
                Ok(privilege == "USAGE"
                    && Self::on_source(access, &names[0], &owner, Privilege::Select, grant))
            }
            Which::Table => {
                let names = parts(object);
                let source = if names.len() >= 2 && !is_oid(object) { Some(names[0].as_str()) } else { None };
                let owner = match source {
                    Some(s) => self.source_owner(s).await?,
                    None => None,
                };
                let (Some(source), Some(owner)) = (source, owner) else {
                    // the gateway's own (catalog) tables: readable by all, written by none
                    return Ok(privilege == "SELECT" && (!grant || access.superuser));
                };
                let wanted = match privilege {
                    "SELECT" => Privilege::Select,
                    "INSERT" | "UPDATE" | "DELETE" | "TRUNCATE" => Privilege::Usage,
                    "REFERENCES" | "TRIGGER" | "MAINTAIN" => return Ok(false),
                    other => {
                        return Err(DataFusionError::Plan(format!(
                            "unrecognized privilege type: \"{other}\""
                        )));
                    }
                };
                Ok(Self::on_source(access, source, &owner, wanted, grant))
            }
        }
    }
}

impl HasPrivilege {
    /// The answer for a schema or table of the source database the session is connected
    /// to (`None`: not one, or not such a session).
    async fn in_source_database(
        &self,
        access: &Access,
        object: &str,
        privilege: &str,
        grant: bool,
    ) -> Result<Option<bool>> {
        let Some(source) = &self.database else { return Ok(None) };
        let names = parts(object);
        let in_shared_schema = SHARED_SCHEMAS.contains(&names[0].as_str());
        let shared = match self.which {
            Which::Database => true,
            Which::Schema => is_oid(object) || in_shared_schema,
            Which::Table => !is_oid(object) && names.len() >= 2 && in_shared_schema,
        };
        if shared {
            return Ok(None);
        }
        let wanted = match (self.which, privilege) {
            (Which::Schema, "USAGE") | (Which::Table, "SELECT") => Privilege::Select,
            (Which::Schema, "CREATE") => return Ok(Some(false)),
            (Which::Table, "INSERT" | "UPDATE" | "DELETE" | "TRUNCATE") => Privilege::Usage,
            (Which::Table, "REFERENCES" | "TRIGGER" | "MAINTAIN") => return Ok(Some(false)),
            _ => return Ok(None),
        };
        let Some(owner) = self.source_owner(source).await? else { return Ok(Some(false)) };
        Ok(Some(Self::on_source(access, source, &owner, wanted, grant)))
    }
}

#[async_trait]
impl AsyncScalarUDFImpl for HasPrivilege {
    async fn invoke_async_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let columns = arrays.iter().map(texts).collect::<Result<Vec<_>>>()?;
        let (users, objects, wanted) = match columns.as_slice() {
            [objects, wanted] => (None, objects, wanted),
            [users, objects, wanted] => (Some(users), objects, wanted),
            _ => return Err(DataFusionError::Plan(format!("{} takes 2 or 3 arguments", self.name()))),
        };
        let mut cache = HashMap::new();
        let mut out = Vec::with_capacity(rows);
        for i in 0..rows {
            let user = match users {
                Some(u) => u.get(i).cloned().flatten(),
                None => Some(self.user.clone()),
            };
            let (Some(user), Some(Some(object)), Some(Some(wanted))) = (user, objects.get(i), wanted.get(i))
            else {
                out.push(None);
                continue;
            };
            if is_oid(&user) {
                // a role by oid: the session's own (oids of roles are not kept)
                out.push(None);
                continue;
            }
            let access = self.access(&mut cache, &user).await?;
            let mut any = false;
            for (privilege, grant) in privileges(wanted) {
                any |= self.answer(&access, object, &privilege, grant).await?;
            }
            out.push(Some(any));
        }
        Ok(ColumnarValue::Array(Arc::new(BooleanArray::from(out))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_privilege_lists_are_read_as_postgresql_reads_them() {
        assert_eq!(parts("Maria.\"Shop\".orders"), ["maria", "Shop", "orders"]);
        assert_eq!(parts("\"a.b\".c"), ["a.b", "c"]);
        assert_eq!(
            privileges("select, INSERT with grant option"),
            [("SELECT".to_owned(), false), ("INSERT".to_owned(), true)]
        );
    }
}
