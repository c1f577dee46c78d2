//! What every handler shares.

use rels_session::{Store, Users};

/// The demo's shared state: the per-user view of the store.
#[derive(Clone, Debug)]
pub(crate) struct AppState {
    pub(crate) users: Users,
}

impl AppState {
    pub(crate) fn new(store: Store) -> Self {
        Self {
            users: Users::new(store),
        }
    }

    /// Whether sessions live in this process only, for the pages to say.
    pub(crate) fn is_memory(&self) -> bool {
        self.users.store().is_memory()
    }
}
