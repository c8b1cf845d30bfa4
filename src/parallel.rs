//! Independent pieces of work built on every core and handed over in their order: the parts
//! of a big mesh's analysis and report that depend on nothing but the Index, each policy's
//! placement, each destination's paths (issue 16). What crosses threads is each piece's
//! result, whole, once; handing pieces out takes no lock.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex, MutexGuard, PoisonError};

/// Threads at most: one thread taking the results in order keeps up with about this many.
const MAX_THREADS: usize = 4;
/// Pieces a builder may have done before they are taken (bounds what is held at once).
const AHEAD: usize = 4;

/// How work is shared out.
#[derive(Debug, Clone, Copy)]
pub struct Split {
    /// Threads building pieces, the one taking them included.
    pub threads: usize,
    /// Items per piece: enough that handing a piece over costs nothing beside building it.
    pub per_piece: usize,
}

impl Split {
    /// Every core, up to `MAX_THREADS`.
    pub fn for_machine(per_piece: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Split {
            threads: cores.min(MAX_THREADS),
            per_piece,
        }
    }
}

/// Builds `items` piece by piece on `split.threads` threads, each thread with its own
/// `state` (memos it would otherwise share), and hands each piece's result to `take`, on
/// this thread and in the items' order. An error from `take` stops the building and is
/// returned.
pub fn in_order<T: Sync, S, R: Send, E>(
    items: &[T],
    split: Split,
    state: impl Fn() -> S + Sync,
    build: impl Fn(&mut S, &[T]) -> R + Sync,
    mut take: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E> {
    let pieces: Vec<&[T]> = items.chunks(split.per_piece.max(1)).collect();
    let builders = (split.threads.max(1) - 1).min(pieces.len().saturating_sub(1));
    if builders == 0 {
        let mut state = state();
        return (pieces.iter()).try_for_each(|piece| take(build(&mut state, piece)));
    }
    let next = AtomicUsize::new(0);
    let next_piece = || {
        let i = next.fetch_add(1, Ordering::Relaxed);
        pieces.get(i).map(|piece| (i, *piece))
    };
    let (state, build, next_piece) = (&state, &build, &next_piece);
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::sync_channel(AHEAD * builders);
        for _ in 0..builders {
            let tx = tx.clone();
            s.spawn(move || {
                let mut state = state();
                while let Some((i, piece)) = next_piece() {
                    // The taker gone (it failed): stop.
                    if tx.send((i, build(&mut state, piece))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut due = Due {
            next: 0,
            pending: BTreeMap::new(),
        };
        let mut state = state();
        let mut run = || {
            while let Some((i, piece)) = next_piece() {
                due.pending.extend(rx.try_iter());
                due.pending.insert(i, build(&mut state, piece));
                due.take_ready(&mut take)?;
            }
            for (i, built) in rx.iter() {
                due.pending.insert(i, built);
                due.take_ready(&mut take)?;
            }
            Ok(())
        };
        let result = run();
        // On an error the builders stop after their piece: none is left, and `rx` goes.
        next.store(pieces.len(), Ordering::Relaxed);
        result
    })
}

/// The lock of what threads share. Poisoned only by a panic on another thread, which its
/// join re-raises.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Results waiting for those before them.
struct Due<R> {
    next: usize,
    pending: BTreeMap<usize, R>,
}

impl<R> Due<R> {
    fn take_ready<E>(&mut self, take: &mut impl FnMut(R) -> Result<(), E>) -> Result<(), E> {
        while let Some(ready) = self.pending.remove(&self.next) {
            self.next += 1;
            take(ready)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every piece once, in order, whatever the threads and piece sizes; each thread's
    /// state is its own.
    #[test]
    fn results_come_in_order_whatever_the_split() {
        let items: Vec<u32> = (0..1000).collect();
        for (threads, per_piece) in [(1, 1), (2, 1), (3, 7), (8, 1000), (4, 2000), (0, 0)] {
            let mut got = Vec::new();
            let split = Split { threads, per_piece };
            let built = |seen: &mut u32, piece: &[u32]| {
                *seen += 1;
                piece.iter().map(|x| x * 2).collect::<Vec<_>>()
            };
            in_order(
                &items,
                split,
                || 0,
                built,
                |r| {
                    got.extend(r);
                    Ok::<_, ()>(())
                },
            )
            .unwrap();
            let want: Vec<u32> = items.iter().map(|x| x * 2).collect();
            assert_eq!(got, want, "{split:?}");
        }
        let none: [u32; 0] = [];
        let split = Split::for_machine(4);
        in_order(&none, split, || (), |_, _| 0, |_| Err("called")).unwrap();
    }

    /// An error from `take` comes back, and no builder is left waiting to hand over.
    #[test]
    fn an_error_stops_the_builders() {
        let items: Vec<u32> = (0..100_000).collect();
        for stop_at in [0, 3, 50] {
            let mut taken = 0;
            let split = Split {
                threads: 3,
                per_piece: 1,
            };
            let r = in_order(
                &items,
                split,
                || (),
                |_, p| p[0],
                |x| {
                    taken += 1;
                    if x == stop_at {
                        Err(x)
                    } else {
                        Ok(())
                    }
                },
            );
            assert_eq!((r, taken), (Err(stop_at), stop_at + 1));
        }
    }
}
