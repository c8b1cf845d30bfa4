//! Lists many pods share (replicas hold the same policies), each distinct one stored once.

use std::cell::RefCell;
use std::collections::HashSet;
use std::hash::Hash;
use std::rc::Rc;

pub(super) struct Interned<T>(RefCell<HashSet<Rc<[T]>>>);

impl<T> Default for Interned<T> {
    fn default() -> Self {
        Interned(RefCell::default())
    }
}

impl<T: Eq + Hash> Interned<T> {
    pub(super) fn get(&self, list: Vec<T>) -> Rc<[T]> {
        let mut set = self.0.borrow_mut();
        if let Some(shared) = set.get(list.as_slice()) {
            return shared.clone();
        }
        let shared: Rc<[T]> = list.into();
        set.insert(shared.clone());
        shared
    }
}

#[cfg(test)]
mod tests {
    use super::Interned;
    use std::rc::Rc;

    #[test]
    fn equal_lists_share_one_allocation() {
        let lists = Interned::default();
        let (a, b, c) = (
            lists.get(vec![1, 2]),
            lists.get(vec![1, 2]),
            lists.get(vec![2]),
        );
        assert!(Rc::ptr_eq(&a, &b));
        assert!(!Rc::ptr_eq(&a, &c));
        assert_eq!((&*a, &*c), (&[1, 2][..], &[2][..]));
        assert!(Rc::ptr_eq(&lists.get(vec![]), &lists.get(vec![])));
    }
}
