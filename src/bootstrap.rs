//! First start: the data directory and the first superuser.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use sluice_catalog::{NewRole, Store};

use crate::StartError;
use crate::config::Secret;
use crate::server::scram::{DEFAULT_ITERATIONS, Verifier};

/// The superuser created on first start.
pub const SUPERUSER: &str = "sluice";

/// Creates `dir` (mode 0700) if it does not exist.
pub fn data_dir(dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Where the first superuser's password came from.
#[derive(Debug)]
pub enum PasswordSource {
    Environment,
    File,
    Generated,
}

/// Creates superuser `sluice` when the catalog has no roles yet. The password comes from
/// `SLUICE_PASSWORD`, then the password file; else one is generated and written to
/// `DATA_DIR/initial-password` (mode 0600). Only its SCRAM verifier is stored.
pub async fn first_superuser(
    store: &Store,
    data_dir: &Path,
    password: Option<&Secret>,
    password_file: Option<&Path>,
) -> Result<Option<PasswordSource>, StartError> {
    let roles = store.roles().await?;
    if roles.iter().any(|r| !sluice_catalog::privileges::is_predefined_role(&r.name)) {
        if password.is_some() {
            tracing::info!("roles exist already; SLUICE_PASSWORD is only used on first start");
        }
        return Ok(None);
    }
    let (password, source) = if let Some(p) = password {
        (p.0.clone(), PasswordSource::Environment)
    } else if let Some(path) = password_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| StartError(format!("cannot read password file {}: {e}", path.display())))?;
        (text.trim_end_matches(['\n', '\r']).to_owned(), PasswordSource::File)
    } else {
        let bytes: [u8; 18] = rand::random();
        (base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes), PasswordSource::Generated)
    };
    if password.is_empty() {
        return Err(StartError("the first superuser's password must not be empty".into()));
    }
    let verifier = Verifier::derive(&password, DEFAULT_ITERATIONS).to_string();
    let role = NewRole {
        name: SUPERUSER.into(),
        superuser: true,
        can_login: true,
        inherit: true,
        password_verifier: Some(verifier),
    };
    if !store.bootstrap_role(&role).await? {
        return Ok(None);
    }
    if let PasswordSource::Generated = source {
        let path = data_dir.join("initial-password");
        write_private(&path, &password)
            .map_err(|e| StartError(format!("cannot write {}: {e}", path.display())))?;
        tracing::warn!(
            path = %path.display(),
            "created superuser \"{SUPERUSER}\" with a generated password; read it from this file"
        );
    } else {
        tracing::info!("created superuser \"{SUPERUSER}\" with the configured password");
    }
    Ok(Some(source))
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    writeln!(file, "{content}")
}
