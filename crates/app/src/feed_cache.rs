//! A value derived from the database (the roster's masker, the sanction rules on the current
//! catalog, the units' closed grades) and kept until the journal shows a change that concerns
//! it. Each use asks the change feed's head first: nothing new, or nothing new of its kind, and
//! the kept value serves; otherwise it is built again. So a change made by another process or
//! another server on the same database is noticed on the next use.

use std::sync::{Arc, Mutex};

use probity_store::{Store, StoreError};

pub struct FeedCache<T> {
    /// The change-feed position the value is known to be current at, and the value.
    cached: Mutex<Option<(i64, Arc<T>)>>,
}

impl<T> Default for FeedCache<T> {
    fn default() -> Self {
        FeedCache {
            cached: Mutex::new(None),
        }
    }
}

impl<T> FeedCache<T> {
    /// The value as it is now: the kept one when `changed_since(store, position)` finds nothing
    /// that concerns it since it was built, else `build(store)`'s.
    pub fn current<E: From<StoreError>>(
        &self,
        store: &Store,
        changed_since: impl FnOnce(&Store, i64) -> Result<bool, E>,
        build: impl FnOnce(&Store) -> Result<T, E>,
    ) -> Result<Arc<T>, E> {
        let head = store.head_seq()?;
        let cached = self.cached.lock().ok().and_then(|c| c.clone());
        if let Some((at, value)) = cached {
            if at >= head {
                return Ok(value);
            }
            if !changed_since(store, at)? {
                self.keep(head, value.clone());
                return Ok(value);
            }
        }
        // Read after `head`: a change in between is in what is read, and is looked at again
        // next time (the value is recorded as current only at `head`).
        let value = Arc::new(build(store)?);
        self.keep(head, value.clone());
        Ok(value)
    }

    fn keep(&self, at: i64, value: Arc<T>) {
        if let Ok(mut c) = self.cached.lock()
            && c.as_ref().is_none_or(|(old, _)| *old <= at)
        {
            *c = Some((at, value));
        }
    }
}
