//! How Sluice reaches an engine's REST API (Flink, SeaTunnel) and Gravitino's: over plain
//! http, or https verified with rustls (ring, as the rest of the build) against the CA
//! file a target names, else Mozilla's roots (webpki-roots); with the target's bearer
//! token or basic credentials, taken from SECRETs and put on every request — never into a
//! log line, an error or `SHOW TARGETS`.

use super::Target;
use crate::error::Result;
use crate::tls::https_client;

/// What a request carries to authenticate.
#[derive(Clone)]
enum Auth {
    Bearer(String),
    Basic { user: String, password: Option<String> },
}

/// A client of one REST endpoint.
#[derive(Clone)]
pub struct Rest {
    client: reqwest::Client,
    auth: Option<Auth>,
}

impl std::fmt::Debug for Rest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rest").field("authenticates", &self.auth.is_some()).finish()
    }
}

impl Rest {
    /// The client of `target`'s `rest_url`: `shared` for plain http, one verifying the
    /// endpoint's certificate for https; its `token`, or `username` and `password`.
    pub fn for_target(target: &Target, shared: reqwest::Client) -> Result<Rest> {
        let url = target.text("rest_url").unwrap_or_default();
        let client = if url.starts_with("https://") {
            https_client(target.text("ca_file").as_deref(), &target.name)?
        } else {
            shared
        };
        let auth = match (target.secret_text("token"), target.text("username")) {
            (Some(token), _) => Some(Auth::Bearer(token)),
            (None, Some(user)) => Some(Auth::Basic { user, password: target.secret_text("password") }),
            (None, None) => None,
        };
        Ok(Rest { client, auth })
    }

    /// A request to `url` with the endpoint's credentials.
    pub fn request(&self, method: reqwest::Method, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        let request = self.client.request(method, url);
        match &self.auth {
            Some(Auth::Bearer(token)) => request.bearer_auth(token),
            Some(Auth::Basic { user, password }) => request.basic_auth(user, password.as_ref()),
            None => request,
        }
    }

    pub fn get(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::GET, url)
    }

    pub fn post(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, url)
    }

    pub fn patch(&self, url: impl reqwest::IntoUrl) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::PATCH, url)
    }
}
