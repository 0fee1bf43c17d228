//! Cancel requests: a client opens a second connection carrying the (pid, secret key)
//! it was given at start-up; the statement running on the first connection stops with
//! 57014 wherever it is — planning, executing, or streaming rows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock, Weak};

use async_trait::async_trait;
use bytes::Bytes;
use pgwire::api::cancel::CancelHandler;
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::startup::SecretKey;
use tokio_util::sync::CancellationToken;

/// The cancellation point of one connection: a token per statement.
#[derive(Debug, Default)]
pub struct CancelSlot {
    current: Mutex<CancellationToken>,
}

impl CancelSlot {
    /// Starts a statement: returns the token a cancel request will trigger.
    pub fn begin(&self) -> CancellationToken {
        let token = CancellationToken::new();
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        *current = token.clone();
        token
    }

    /// Cancels the running statement, if any.
    pub fn cancel(&self) {
        self.current.lock().unwrap_or_else(|p| p.into_inner()).cancel();
    }
}

type Key = (i32, Bytes);

/// Every live connection's cancel slot, by (pid, secret key).
#[derive(Debug, Default)]
pub struct CancelRegistry {
    slots: RwLock<HashMap<Key, Weak<CancelSlot>>>,
}

impl CancelRegistry {
    /// Registers a connection; dropping the guard unregisters it.
    pub fn register(self: &Arc<Self>, pid: i32, secret: &SecretKey, slot: &Arc<CancelSlot>) -> CancelGuard {
        let key = (pid, secret.to_bytes());
        self.slots.write().unwrap_or_else(|p| p.into_inner()).insert(key.clone(), Arc::downgrade(slot));
        CancelGuard { key, registry: Arc::downgrade(self) }
    }

    fn cancel(&self, pid: i32, secret: &SecretKey) -> bool {
        let key = (pid, secret.to_bytes());
        let slot = self.slots.read().unwrap_or_else(|p| p.into_inner()).get(&key).and_then(Weak::upgrade);
        match slot {
            Some(slot) => {
                slot.cancel();
                true
            }
            None => false,
        }
    }
}

/// Keeps a connection registered for cancel requests while it lives.
#[derive(Debug)]
pub struct CancelGuard {
    key: Key,
    registry: Weak<CancelRegistry>,
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        if let Some(registry) = self.registry.upgrade() {
            registry.slots.write().unwrap_or_else(|p| p.into_inner()).remove(&self.key);
        }
    }
}

/// pgwire's hook for CancelRequest messages.
#[derive(Debug)]
pub struct Canceller(pub Arc<CancelRegistry>);

#[async_trait]
impl CancelHandler for Canceller {
    async fn on_cancel_request(&self, request: CancelRequest) {
        let found = self.0.cancel(request.pid, &request.secret_key);
        tracing::debug!(pid = request.pid, found, "cancel request");
    }
}
