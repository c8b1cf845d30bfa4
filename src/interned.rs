//! Values many objects share (the replicas of a workload hold the same policy lists, the
//! pods of a namespace the same enrollment reason): each distinct one stored once and handed
//! out as a shared pointer, so a big mesh holds one copy, not one per pod.

use std::borrow::Borrow;
// foldhash: hashing is most of a lookup here, once per pod (issue 16).
use foldhash::HashSet;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

/// Behind a lock: the Index's memos are shared by the threads building a report.
pub struct Interned<T: ?Sized>(Mutex<HashSet<Arc<T>>>);

impl<T: ?Sized> Default for Interned<T> {
    fn default() -> Self {
        Interned(Mutex::default())
    }
}

impl<T: ?Sized + Eq + Hash> Interned<T> {
    /// The stored copy equal to `value`, or `value` itself, stored now.
    pub fn get<V: Borrow<T> + Into<Arc<T>>>(&self, value: V) -> Arc<T> {
        let mut set = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(shared) = set.get(value.borrow()) {
            return shared.clone();
        }
        let shared: Arc<T> = value.into();
        set.insert(shared.clone());
        shared
    }
}

#[cfg(test)]
mod tests {
    use super::Interned;
    use std::sync::Arc;

    #[test]
    fn equal_values_share_one_allocation() {
        let lists: Interned<[u32]> = Interned::default();
        let (a, b, c) = (
            lists.get(vec![1, 2]),
            lists.get(vec![1, 2]),
            lists.get(vec![2]),
        );
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!((&*a, &*c), (&[1, 2][..], &[2][..]));
        assert!(Arc::ptr_eq(&lists.get(vec![]), &lists.get(vec![])));
        let names: Interned<str> = Interned::default();
        let (x, y) = (names.get("ns/a".to_string()), names.get("ns/a".to_string()));
        assert!(Arc::ptr_eq(&x, &y));
        assert_eq!(&*x, "ns/a");
    }
}
