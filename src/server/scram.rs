//! SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL does it, over stored verifiers.
//!
//! The store keeps `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (PostgreSQL's
//! `pg_authid.rolpassword` format): enough to check a client's proof and to prove the
//! server knows the verifier, never enough to log in as the user. Channel binding
//! (SCRAM-SHA-256-PLUS) is not offered.

use std::num::NonZeroU32;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ring::{digest, hmac, pbkdf2};

/// PostgreSQL's default `scram_iterations`.
pub const DEFAULT_ITERATIONS: u32 = 4096;

/// The mechanism name offered to clients.
pub const MECHANISM: &str = "SCRAM-SHA-256";

/// A stored SCRAM-SHA-256 verifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub stored_key: [u8; 32],
    pub server_key: [u8; 32],
}

impl Verifier {
    /// Derives a verifier for `password` with a fresh random salt.
    pub fn derive(password: &str, iterations: u32) -> Verifier {
        let salt: [u8; 16] = rand::random();
        Self::derive_with_salt(password, &salt, iterations)
    }

    fn derive_with_salt(password: &str, salt: &[u8], iterations: u32) -> Verifier {
        let normalized =
            stringprep::saslprep(password).map(|c| c.into_owned()).unwrap_or_else(|_| password.to_owned());
        let mut salted = [0u8; 32];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            NonZeroU32::new(iterations.max(1)).unwrap_or(NonZeroU32::MIN),
            salt,
            normalized.as_bytes(),
            &mut salted,
        );
        let client_key = hmac_sha256(&salted, b"Client Key");
        Verifier {
            iterations,
            salt: salt.to_vec(),
            stored_key: sha256(&client_key),
            server_key: hmac_sha256(&salted, b"Server Key"),
        }
    }

    /// Parses PostgreSQL's text form.
    pub fn parse(text: &str) -> Option<Verifier> {
        let rest = text.strip_prefix("SCRAM-SHA-256$")?;
        let (params, keys) = rest.split_once('$')?;
        let (iterations, salt) = params.split_once(':')?;
        let (stored, server) = keys.split_once(':')?;
        Some(Verifier {
            iterations: iterations.parse().ok()?,
            salt: B64.decode(salt).ok()?,
            stored_key: B64.decode(stored).ok()?.try_into().ok()?,
            server_key: B64.decode(server).ok()?.try_into().ok()?,
        })
    }

    /// A verifier for a role that does not exist: it looks real to the client (a salt
    /// stable per user name) and accepts no proof, so probing reveals nothing.
    pub fn mock(user: &str, secret: &[u8; 32]) -> Verifier {
        let salt = hmac_sha256(secret, user.as_bytes());
        Verifier {
            iterations: DEFAULT_ITERATIONS,
            salt: salt[..16].to_vec(),
            stored_key: rand::random(),
            server_key: rand::random(),
        }
    }
}

impl std::fmt::Display for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SCRAM-SHA-256${}:{}${}:{}",
            self.iterations,
            B64.encode(&self.salt),
            B64.encode(self.stored_key),
            B64.encode(self.server_key)
        )
    }
}

/// Why an exchange failed. Nothing here says whether the user exists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScramError {
    #[error("malformed SCRAM message: {0}")]
    Malformed(&'static str),
    #[error("channel binding is not supported")]
    ChannelBinding,
    #[error("password authentication failed")]
    BadProof,
}

/// The server's state after sending server-first, waiting for client-final.
#[derive(Debug)]
pub struct AwaitingClientFinal {
    verifier: Verifier,
    gs2_header: String,
    client_first_bare: String,
    server_first: String,
    nonce: String,
}

/// Handles client-first; returns server-first and the state for the final step.
pub fn server_first(
    client_first: &[u8],
    verifier: Verifier,
) -> Result<(String, AwaitingClientFinal), ScramError> {
    let text = std::str::from_utf8(client_first).map_err(|_| ScramError::Malformed("not UTF-8"))?;
    // gs2-header: cbind-flag "," [authzid] ","
    let mut parts = text.splitn(3, ',');
    let flag = parts.next().ok_or(ScramError::Malformed("no gs2 header"))?;
    let authzid = parts.next().ok_or(ScramError::Malformed("no gs2 header"))?;
    let bare = parts.next().ok_or(ScramError::Malformed("no client-first-bare"))?;
    if !authzid.is_empty() {
        return Err(ScramError::Malformed("authorization identities are not supported"));
    }
    match flag {
        "n" | "y" => {}
        f if f.starts_with("p=") => return Err(ScramError::ChannelBinding),
        _ => return Err(ScramError::Malformed("bad channel binding flag")),
    }
    let mut client_nonce = None;
    for attr in bare.split(',') {
        if let Some(n) = attr.strip_prefix("r=") {
            client_nonce = Some(n);
        } else if attr.starts_with("m=") {
            return Err(ScramError::Malformed("mandatory extensions are not supported"));
        }
    }
    let client_nonce = client_nonce.ok_or(ScramError::Malformed("no nonce"))?;
    if client_nonce.is_empty() || !client_nonce.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b',') {
        return Err(ScramError::Malformed("bad nonce"));
    }
    let server_nonce: [u8; 18] = rand::random();
    let nonce = format!("{client_nonce}{}", B64.encode(server_nonce));
    let server_first = format!("r={nonce},s={},i={}", B64.encode(&verifier.salt), verifier.iterations);
    Ok((
        server_first.clone(),
        AwaitingClientFinal {
            verifier,
            gs2_header: format!("{flag},{authzid},"),
            client_first_bare: bare.to_owned(),
            server_first,
            nonce,
        },
    ))
}

impl AwaitingClientFinal {
    /// Checks client-final; on success returns server-final (`v=…`).
    pub fn finish(self, client_final: &[u8]) -> Result<String, ScramError> {
        let text = std::str::from_utf8(client_final).map_err(|_| ScramError::Malformed("not UTF-8"))?;
        let (without_proof, proof) = text.rsplit_once(",p=").ok_or(ScramError::Malformed("no proof"))?;
        let mut channel = None;
        let mut nonce = None;
        for attr in without_proof.split(',') {
            if let Some(c) = attr.strip_prefix("c=") {
                channel = Some(c);
            } else if let Some(r) = attr.strip_prefix("r=") {
                nonce = Some(r);
            }
        }
        if channel != Some(B64.encode(&self.gs2_header).as_str()) {
            return Err(ScramError::ChannelBinding);
        }
        if nonce != Some(self.nonce.as_str()) {
            return Err(ScramError::Malformed("nonce mismatch"));
        }
        let proof: [u8; 32] = B64
            .decode(proof)
            .ok()
            .and_then(|p| p.try_into().ok())
            .ok_or(ScramError::Malformed("bad proof"))?;
        let auth_message = format!("{},{},{}", self.client_first_bare, self.server_first, without_proof);
        let client_signature = hmac_sha256(&self.verifier.stored_key, auth_message.as_bytes());
        let mut client_key = [0u8; 32];
        for i in 0..32 {
            client_key[i] = proof[i] ^ client_signature[i];
        }
        if !constant_time_eq(&sha256(&client_key), &self.verifier.stored_key) {
            return Err(ScramError::BadProof);
        }
        let server_signature = hmac_sha256(&self.verifier.server_key, auth_message.as_bytes());
        Ok(format!("v={}", B64.encode(server_signature)))
    }
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), message);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client side of the exchange, as RFC 5802 describes it.
    fn client_final(
        password: &str,
        client_first_bare: &str,
        server_first: &str,
    ) -> (String, [u8; 32], String) {
        let mut attrs = server_first.split(',');
        let nonce = attrs.next().unwrap().strip_prefix("r=").unwrap();
        let salt = B64.decode(attrs.next().unwrap().strip_prefix("s=").unwrap()).unwrap();
        let iterations: u32 = attrs.next().unwrap().strip_prefix("i=").unwrap().parse().unwrap();
        let v = Verifier::derive_with_salt(password, &salt, iterations);
        let mut salted = [0u8; 32];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            NonZeroU32::new(iterations).unwrap(),
            &salt,
            password.as_bytes(),
            &mut salted,
        );
        let client_key = hmac_sha256(&salted, b"Client Key");
        let without_proof = format!("c=biws,r={nonce}");
        let auth = format!("{client_first_bare},{server_first},{without_proof}");
        let sig = hmac_sha256(&v.stored_key, auth.as_bytes());
        let proof: Vec<u8> = client_key.iter().zip(sig.iter()).map(|(a, b)| a ^ b).collect();
        let expected_server = hmac_sha256(&v.server_key, auth.as_bytes());
        (format!("{without_proof},p={}", B64.encode(proof)), expected_server, auth)
    }

    #[test]
    fn verifier_text_round_trips() {
        let v = Verifier::derive("pencil", 4096);
        assert_eq!(Verifier::parse(&v.to_string()), Some(v.clone()));
        assert!(v.to_string().starts_with("SCRAM-SHA-256$4096:"));
        assert!(!v.to_string().contains("pencil"));
    }

    #[test]
    fn right_password_passes_and_server_proves_itself() {
        let v = Verifier::derive("pencil", 4096);
        let (first, state) = server_first(b"n,,n=,r=rOprNGfwEbeRWgbNEkqO", v).unwrap();
        let (fin, expected_server, _) = client_final("pencil", "n=,r=rOprNGfwEbeRWgbNEkqO", &first);
        let server_final = state.finish(fin.as_bytes()).unwrap();
        assert_eq!(server_final, format!("v={}", B64.encode(expected_server)));
    }

    #[test]
    fn wrong_password_and_mock_users_fail() {
        let v = Verifier::derive("pencil", 4096);
        let (first, state) = server_first(b"n,,n=,r=abc", v).unwrap();
        let (fin, _, _) = client_final("crayon", "n=,r=abc", &first);
        assert_eq!(state.finish(fin.as_bytes()), Err(ScramError::BadProof));

        let mock = Verifier::mock("nobody", &[7; 32]);
        assert_eq!(mock.salt, Verifier::mock("nobody", &[7; 32]).salt, "stable salt");
        let (first, state) = server_first(b"n,,n=,r=abc", mock).unwrap();
        let (fin, _, _) = client_final("anything", "n=,r=abc", &first);
        assert_eq!(state.finish(fin.as_bytes()), Err(ScramError::BadProof));
    }

    #[test]
    fn channel_binding_requests_are_refused() {
        let v = Verifier::derive("x", 4096);
        assert_eq!(
            server_first(b"p=tls-server-end-point,,n=,r=abc", v).err(),
            Some(ScramError::ChannelBinding)
        );
    }
}
