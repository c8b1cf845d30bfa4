//! The one setting of the binary's allocator (mimalloc, see Cargo.toml) the plugin changes,
//! and when: how soon freed memory goes back to the OS. In tests and benches, whose
//! allocator is the system's, these set an option nothing reads.

use libmimalloc_sys::{mi_option_set, mi_option_t};

/// `mi_option_purge_delay` in mimalloc 2's `mi_option_e` (include/mimalloc.h), which
/// libmimalloc-sys does not name: milliseconds before freed memory goes back to the OS.
const PURGE_DELAY: mi_option_t = 15;

/// How long freed memory is kept while a cluster is read: longer than a page's round trip,
/// so that one page's buffers are the next one's.
const KEPT_WHILE_READING_MS: std::ffi::c_long = 1000;

/// Freed memory goes back at once: the input's text (the size of the file) is freed once
/// decoded, and would otherwise still count in the peak RSS of what follows. Set first in
/// `main`, for the whole run.
pub fn return_freed_at_once() {
    set(0);
}

/// While held, freed memory is kept a second before it goes back (issue 16; whole segments
/// freed go back to mimalloc's arena, which keeps them longer, until reused). A list's pages
/// come one after another, each half a megabyte, and each is freed once decoded: given back
/// at once, every page's buffers were purged (`madvise`) and faulted in again, on the thread
/// that reads the next page. The peak RSS comes later, in the analysis, which reuses what is
/// kept; BENCHMARKS.md has the figures.
#[must_use = "freed memory is returned at once again when this is dropped"]
pub struct KeepFreed(());

impl KeepFreed {
    pub fn while_reading() -> Self {
        set(KEPT_WHILE_READING_MS);
        KeepFreed(())
    }
}

impl Drop for KeepFreed {
    fn drop(&mut self) {
        return_freed_at_once();
    }
}

fn set(ms: std::ffi::c_long) {
    // SAFETY: sets a process-wide option of the allocator; no pointer is involved.
    unsafe { mi_option_set(PURGE_DELAY, ms) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use libmimalloc_sys::mi_option_get;

    /// The purge delay now, in milliseconds.
    fn purge_delay() -> std::ffi::c_long {
        // SAFETY: reads a process-wide option of the allocator; no pointer is involved.
        unsafe { mi_option_get(PURGE_DELAY) }
    }

    #[test]
    fn freed_memory_is_kept_while_reading_and_returned_at_once_after() {
        return_freed_at_once();
        assert_eq!(purge_delay(), 0);
        let kept = KeepFreed::while_reading();
        assert_eq!(purge_delay(), KEPT_WHILE_READING_MS);
        drop(kept);
        assert_eq!(purge_delay(), 0);
    }
}
