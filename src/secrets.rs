//! Secret values, encrypted at rest with AES-256-GCM under the gateway's master key.
//!
//! The master key comes from `SLUICE_MASTER_KEY` (32 bytes, base64 or hex) or from
//! `DATA_DIR/master.key`, created (mode 0600) on first start. Gateways that share a
//! PostgreSQL catalog must share the key: the catalog records the key's fingerprint, and a
//! gateway with another key does not start (`crate::master_key`). Each value gets a
//! fresh 96-bit nonce; the secret's name is authenticated with it, so a ciphertext cannot
//! be moved to another name.

use std::path::Path;

use base64::Engine;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

use crate::StartError;

/// The key secrets are encrypted with, and its fingerprint.
pub struct MasterKey {
    key: LessSafeKey,
    fingerprint: String,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

/// A sealed value: what the store keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

impl MasterKey {
    /// A key from 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<MasterKey, StartError> {
        let key = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| StartError("the master key must be 32 bytes".into()))?;
        // a hash of the key under a label of its own: it names the key, never reveals it
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        context.update(b"sluice master key fingerprint v1\0");
        context.update(bytes);
        let fingerprint = context.finish().as_ref().iter().map(|b| format!("{b:02x}")).collect();
        Ok(MasterKey { key: LessSafeKey::new(key), fingerprint })
    }

    /// A key from its text (32 bytes in base64 or hex); `what` names it in the error.
    pub fn parse(text: &str, what: &str) -> Result<MasterKey, StartError> {
        Self::from_bytes(
            &decode_key(text)
                .ok_or_else(|| StartError(format!("{what} must be 32 bytes in base64 or hex")))?,
        )
    }

    /// A new random key and its text (base64), as a key file holds it.
    pub fn generate() -> Result<(MasterKey, String), StartError> {
        let bytes: [u8; 32] = rand::random();
        Ok((Self::from_bytes(&bytes)?, base64::engine::general_purpose::STANDARD.encode(bytes)))
    }

    /// The key's fingerprint (SHA-256 of the key under Sluice's own label, in hex).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The first 16 hex digits of the fingerprint, for messages.
    pub fn short_fingerprint(&self) -> &str {
        &self.fingerprint[..16]
    }

    /// The key from `env_value` (SLUICE_MASTER_KEY), else from `DATA_DIR/master.key`,
    /// creating that file with a random key on first start.
    pub fn load(env_value: Option<&str>, data_dir: &Path) -> Result<MasterKey, StartError> {
        if let Some(text) = env_value {
            return Self::parse(text, "SLUICE_MASTER_KEY");
        }
        let path = data_dir.join("master.key");
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_bytes(
                &decode_key(text.trim())
                    .ok_or_else(|| StartError(format!("{} does not hold a 32-byte key", path.display())))?,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let bytes: [u8; 32] = rand::random();
                write_private(&path, &base64::engine::general_purpose::STANDARD.encode(bytes))
                    .map_err(|e| StartError(format!("cannot write {}: {e}", path.display())))?;
                tracing::info!(path = %path.display(), "created the master key for secrets");
                Self::from_bytes(&bytes)
            }
            Err(e) => Err(StartError(format!("cannot read {}: {e}", path.display()))),
        }
    }

    /// Encrypts `plaintext` for the secret called `name`.
    pub fn seal(&self, name: &str, plaintext: &[u8]) -> Sealed {
        let nonce: [u8; 12] = rand::random();
        let mut buffer = plaintext.to_vec();
        // Sealing only fails for inputs beyond 2^36 bytes; secrets are far smaller.
        let sealed = self.key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad(name)),
            &mut buffer,
        );
        if sealed.is_err() {
            buffer.clear();
        }
        Sealed { nonce: nonce.to_vec(), ciphertext: buffer }
    }

    /// Decrypts the value of secret `name`; `None` if it was not sealed for that name
    /// under this key.
    pub fn open(&self, name: &str, sealed: &Sealed) -> Option<Vec<u8>> {
        let nonce = Nonce::try_assume_unique_for_key(&sealed.nonce).ok()?;
        let mut buffer = sealed.ciphertext.clone();
        let plain = self.key.open_in_place(nonce, Aad::from(aad(name)), &mut buffer).ok()?;
        Some(plain.to_vec())
    }
}

/// The values of the secrets `names`, decrypted (42704 for a secret that does not exist).
pub async fn open_named(
    store: &sluice_catalog::Store,
    key: &MasterKey,
    names: impl IntoIterator<Item = String>,
) -> crate::error::Result<std::collections::HashMap<String, Vec<u8>>> {
    use crate::error::SluiceError;
    let mut out = std::collections::HashMap::new();
    for name in names {
        let stored = store
            .secret(&name)
            .await?
            .ok_or_else(|| SluiceError::UndefinedObject { kind: "secret", name: name.clone() })?;
        let sealed = Sealed { nonce: stored.nonce, ciphertext: stored.ciphertext };
        let value = key.open(&name, &sealed).ok_or_else(|| {
            SluiceError::Internal(format!(
                "secret \"{name}\" cannot be decrypted with this gateway's master key"
            ))
        })?;
        out.insert(name, value);
    }
    Ok(out)
}

/// `text` with each of `values` masked as `***`: as given, and as it reads inside a JSON
/// or HOCON string or a SQL literal (an engine error may quote the config or script it was
/// given). Longer forms are masked first, so one that contains another is not left half
/// shown.
pub fn mask<'a>(text: &str, values: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut forms: Vec<String> = Vec::new();
    for value in values {
        let value = String::from_utf8_lossy(value);
        if value.is_empty() {
            continue;
        }
        let json = serde_json::to_string(&*value).unwrap_or_default();
        let hocon = crate::compile::hocon::string(&value);
        for quoted in [json, hocon] {
            forms.push(quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default().to_owned());
        }
        forms.push(value.replace('\'', "''"));
        forms.push(value.into_owned());
    }
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    let mut out = text.to_owned();
    for form in forms.iter().filter(|f| !f.is_empty()) {
        if out.contains(form.as_str()) {
            out = out.replace(form.as_str(), "***");
        }
    }
    out
}

fn aad(name: &str) -> Vec<u8> {
    format!("sluice-secret:{name}").into_bytes()
}

fn decode_key(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
        (0..64)
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?
    } else {
        base64::engine::general_purpose::STANDARD.decode(text).ok()?
    };
    (bytes.len() == 32).then_some(bytes)
}

/// Writes a new file readable by its owner only (0600); fails if it exists.
pub fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    writeln!(file, "{content}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_under_their_name_and_key() {
        let key = MasterKey::from_bytes(&[7; 32]).unwrap();
        let sealed = key.seal("db_pw", b"p@ss");
        assert!(!sealed.ciphertext.windows(4).any(|w| w == b"p@ss"));
        assert_eq!(key.open("db_pw", &sealed).as_deref(), Some(&b"p@ss"[..]));
        assert_eq!(key.open("other", &sealed), None);
        let other = MasterKey::from_bytes(&[8; 32]).unwrap();
        assert_eq!(other.open("db_pw", &sealed), None);
    }

    #[test]
    fn masking_hides_values_as_given_and_as_quoted_in_json() {
        let values: [&[u8]; 4] = [b"s3cr\"et", b"", b"s3cr", b"it's\x08"];
        assert_eq!(
            mask(r#"raw s3cr"et; json {"password":"s3cr\"et"}; shorter s3cr"#, values),
            r#"raw ***; json {"password":"***"}; shorter ***"#
        );
        // as Flink SQL and SeaTunnel's HOCON quote it
        assert_eq!(mask("'password' = 'it''s\u{8}'", values), "'password' = '***'");
        assert_eq!(mask(r#"password = "it's\u0008""#, values), r#"password = "***""#);
        assert_eq!(mask("nothing here", values), "nothing here");
    }

    #[test]
    fn keys_load_from_the_environment_or_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let hex = "00".repeat(32);
        MasterKey::load(Some(&hex), dir.path()).unwrap();
        assert!(MasterKey::load(Some("too-short"), dir.path()).is_err());
        let first = MasterKey::load(None, dir.path()).unwrap();
        let sealed = first.seal("s", b"v");
        let again = MasterKey::load(None, dir.path()).unwrap();
        assert_eq!(again.open("s", &sealed).as_deref(), Some(&b"v"[..]));
        // the fingerprint names the key without showing it
        assert_eq!(first.fingerprint(), again.fingerprint());
        assert_eq!(first.fingerprint().len(), 64);
        let zero = MasterKey::parse(&hex, "test key").unwrap();
        assert_ne!(zero.fingerprint(), first.fingerprint());
        assert!(!zero.fingerprint().contains(&hex));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("master.key")).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}
