//! The master key's place in the catalog. The catalog records the fingerprint of the key
//! its secrets are sealed with (on the first start, or the first start after an upgrade,
//! once the key is shown to open every secret); a gateway started with another key stops
//! at once, saying so, instead of failing later on the first secret it needs.
//!
//! `sluice rotate-master-key` re-encrypts every secret under a new key in one
//! transaction, with the fingerprint. A key kept in `DATA_DIR/master.key` is replaced
//! through `master.key.new`: the new key is on disk before the catalog changes, and takes
//! the old one's place after. Gateways sharing the catalog are stopped first and started
//! with the new key.

use std::path::{Path, PathBuf};

use sluice_catalog::Store;

use crate::StartError;
use crate::config::Config;
use crate::secrets::{MasterKey, Sealed, write_private};

/// Where a gateway's key comes from, for messages.
fn key_source(config: &Config) -> String {
    match config.master_key {
        Some(_) => "SLUICE_MASTER_KEY".into(),
        None => key_file(config).display().to_string(),
    }
}

fn key_file(config: &Config) -> PathBuf {
    config.data_dir.join("master.key")
}

fn pending_file(config: &Config) -> PathBuf {
    config.data_dir.join("master.key.new")
}

/// Checks at start that `key` is the catalog's (recording it when the catalog has none).
pub async fn check(store: &Store, key: &MasterKey, config: &Config) -> Result<(), StartError> {
    let recorded = match store.master_key_fingerprint().await? {
        Some(recorded) => recorded,
        None => {
            // a catalog from before fingerprints: the key must open the secrets it holds
            if let Some(name) = first_unreadable(store, key).await? {
                return Err(StartError(format!(
                    "the master key from {} (fingerprint {}) cannot decrypt secret \"{name}\" of this catalog: \
                     start with the key its secrets were sealed with",
                    key_source(config),
                    key.short_fingerprint()
                )));
            }
            store.claim_master_key(key.fingerprint()).await?
        }
    };
    if recorded == key.fingerprint() {
        return Ok(());
    }
    let mut message = format!(
        "the master key from {} (fingerprint {}) is not the one this catalog's secrets are sealed with \
         (fingerprint {}): start with that key (SLUICE_MASTER_KEY, or {}), or change keys with \
         `sluice rotate-master-key` while holding it",
        key_source(config),
        key.short_fingerprint(),
        &recorded[..recorded.len().min(16)],
        key_file(config).display()
    );
    if pending_matches(config, &recorded) {
        message.push_str(&format!(
            "; {} holds the catalog's key (a rotation did not finish): move it to master.key",
            pending_file(config).display()
        ));
    }
    Err(StartError(message))
}

/// The first secret `key` does not open, if any.
async fn first_unreadable(store: &Store, key: &MasterKey) -> Result<Option<String>, StartError> {
    for s in store.sealed_secrets().await? {
        let sealed = Sealed { nonce: s.nonce.clone(), ciphertext: s.ciphertext.clone() };
        if key.open(&s.name, &sealed).is_none() {
            return Ok(Some(s.name));
        }
    }
    Ok(None)
}

/// Whether `master.key.new` holds the key of fingerprint `recorded`.
fn pending_matches(config: &Config, recorded: &str) -> bool {
    std::fs::read_to_string(pending_file(config))
        .ok()
        .and_then(|text| MasterKey::parse(text.trim(), "master.key.new").ok())
        .is_some_and(|k| k.fingerprint() == recorded)
}

/// The current key: SLUICE_MASTER_KEY, else the key file (which must exist).
fn current_key(config: &Config) -> Result<MasterKey, StartError> {
    if let Some(text) = &config.master_key {
        return MasterKey::parse(&text.0, "SLUICE_MASTER_KEY");
    }
    let path = key_file(config);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| StartError(format!("cannot read the master key {}: {e}", path.display())))?;
    MasterKey::parse(text.trim(), &path.display().to_string())
}

/// `sluice rotate-master-key`: re-encrypts every secret of the catalog `config` names
/// under `new_key` (its text), or a new random key when the current one is kept in the
/// data directory. Returns what was done, for the operator.
pub async fn rotate(config: &Config, new_key: Option<&str>) -> Result<String, StartError> {
    let store = Store::open(&config.metadata_url).await.map_err(|e| {
        StartError(format!(
            "cannot open the metadata store {}: {e}",
            sluice_catalog::store::redact_url(&config.metadata_url)
        ))
    })?;
    let old = current_key(config)?;
    check(&store, &old, config).await?;
    let in_file = config.master_key.is_none();
    let (new, new_text) = match new_key {
        Some(text) => (MasterKey::parse(text, "the new master key")?, text.trim().to_owned()),
        None if in_file => MasterKey::generate()?,
        None => {
            return Err(StartError(
                "the current key comes from SLUICE_MASTER_KEY: give the new one in SLUICE_NEW_MASTER_KEY \
                 (or --new-key-file)"
                    .into(),
            ));
        }
    };
    if new.fingerprint() == old.fingerprint() {
        return Err(StartError("the new master key is the current one".into()));
    }
    let mut resealed = Vec::new();
    for s in store.sealed_secrets().await? {
        let sealed = Sealed { nonce: s.nonce.clone(), ciphertext: s.ciphertext.clone() };
        let plain = old.open(&s.name, &sealed).ok_or_else(|| {
            StartError(format!("secret \"{}\" cannot be decrypted with the current master key", s.name))
        })?;
        let again = new.seal(&s.name, &plain);
        resealed.push((s.name, again.nonce, again.ciphertext));
    }
    let pending = pending_file(config);
    if in_file {
        write_private(&pending, &new_text)
            .map_err(|e| StartError(format!("cannot write the new key to {}: {e}", pending.display())))?;
    }
    let actor = "(rotate-master-key)";
    if let Err(e) = store.rekey_secrets(&resealed, old.fingerprint(), new.fingerprint(), actor).await {
        if in_file {
            let _ = std::fs::remove_file(&pending);
        }
        return Err(StartError(format!("the secrets were left as they were: {e}")));
    }
    let place = if in_file {
        replace_key_file(&pending, &key_file(config))?;
        format!("the new key is in {}", key_file(config).display())
    } else {
        "start the gateways with the new key in SLUICE_MASTER_KEY".to_owned()
    };
    store.close().await;
    Ok(format!(
        "re-encrypted {} secrets: master key {} → {}; {place}",
        resealed.len(),
        old.short_fingerprint(),
        new.short_fingerprint()
    ))
}

/// Moves the new key file over the old one (one rename).
fn replace_key_file(pending: &Path, file: &Path) -> Result<(), StartError> {
    std::fs::rename(pending, file).map_err(|e| {
        StartError(format!(
            "the secrets are sealed with the key in {}, which could not replace {}: {e}; move it there",
            pending.display(),
            file.display()
        ))
    })
}
