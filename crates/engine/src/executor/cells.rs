//! Recycled task cells: the memory of finished tasks, kept for the next spawns.
//!
//! A spawn and a completion (P2) each went through the allocator once, and
//! in the browser that is `dlmalloc` compiled to wasm: about a third of the
//! pair's cost. A run spawns thousands to millions of tasks of a few shapes,
//! so a finished task's cell is kept on a free list by size and the next
//! spawn of that size takes it back, as slab allocators do. The lists hold at
//! most [`MAX_CACHED_BYTES`] in all; a cell freed past that goes back to the
//! allocator. Wasm memory never shrinks anyway, so the cache costs the page
//! only what the allocator could have lent to something else meanwhile.
//!
//! The lists are per thread (the executor's tasks live and die on one
//! thread; a cell freed on another simply joins that thread's lists, since
//! the memory comes from the one global allocator either way).
//! [`release_cached_cells`] hands every cached cell back to the allocator:
//! a measurement of memory per task calls it first, so that every cell it
//! counts comes from the allocator.

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::cell::Cell;
use std::ptr::NonNull;

/// Cell sizes are rounded up to a multiple of this (the allocator's own grain).
const GRAIN: usize = 8;
/// Size classes: cells of up to `CLASSES * GRAIN` bytes are recycled; bigger
/// futures (rare: a task's state machine is usually tens of bytes) are not.
const CLASSES: usize = 64;
/// The most the free lists hold, over all classes: 100,000 small tasks.
pub const MAX_CACHED_BYTES: usize = 8 << 20;
/// Every recycled cell's alignment; a type that needs more bypasses the cache.
const ALIGN: usize = 8;

/// A free cell's first word: the next free cell of its class.
struct Free {
    next: *mut Free,
}

/// One thread's free lists.
struct Cache {
    heads: [Cell<*mut Free>; CLASSES],
    bytes: Cell<usize>,
}

impl Drop for Cache {
    fn drop(&mut self) {
        self.release();
    }
}

impl Cache {
    /// Frees every cached cell to the allocator.
    fn release(&self) {
        for (i, head) in self.heads.iter().enumerate() {
            let layout = class_layout(i + 1);
            let mut p = head.replace(std::ptr::null_mut());
            while !p.is_null() {
                // SAFETY: every cell on list `i` was allocated with `class_layout(i + 1)`
                // and is owned by the list; its first word is the link.
                let next = unsafe { (*p).next };
                unsafe { dealloc(p.cast(), layout) };
                p = next;
            }
        }
        self.bytes.set(0);
    }
}

thread_local! {
    static CACHE: Cache = const {
        Cache {
            heads: [const { Cell::new(std::ptr::null_mut()) }; CLASSES],
            bytes: Cell::new(0),
        }
    };
}

/// The class (1-based: bytes / GRAIN, rounded up) of a layout the cache
/// takes, or `None` for one it does not.
#[inline]
fn class_of(layout: Layout) -> Option<usize> {
    let class = layout.size().div_ceil(GRAIN).max(1);
    (class <= CLASSES && layout.align() <= ALIGN).then_some(class)
}

/// The layout every cell of `class` is allocated and freed with.
#[inline]
fn class_layout(class: usize) -> Layout {
    // Cannot fail: a multiple of 8 under 1 KiB, aligned to 8.
    Layout::from_size_align(class * GRAIN, ALIGN).unwrap_or(Layout::new::<Free>())
}

/// A cell for a value of `T`: a recycled one if there is one, else fresh
/// from the allocator. Free it with [`free`] and the same `T`.
pub(super) fn alloc_cell<T>() -> NonNull<T> {
    let layout = Layout::new::<T>();
    let Some(class) = class_of(layout) else {
        return fresh(layout);
    };
    let recycled = CACHE
        .try_with(|c| {
            let head = &c.heads[class - 1];
            let p = head.get();
            if !p.is_null() {
                // SAFETY: `p` is a free cell owned by this list.
                head.set(unsafe { (*p).next });
                c.bytes.set(c.bytes.get() - class * GRAIN);
            }
            p
        })
        .unwrap_or(std::ptr::null_mut());
    match NonNull::new(recycled) {
        Some(p) => p.cast(),
        None => fresh(class_layout(class)),
    }
}

/// Gives back a cell from [`alloc_cell::<T>`] whose value is gone (read
/// out or dropped).
///
/// # Safety
///
/// `cell` came from `alloc_cell::<T>()` and is not used again.
pub(super) unsafe fn free_cell<T>(cell: NonNull<T>) {
    let layout = Layout::new::<T>();
    let Some(class) = class_of(layout) else {
        // SAFETY: allocated with this layout by `fresh`.
        unsafe { dealloc(cell.as_ptr().cast(), layout) };
        return;
    };
    let size = class * GRAIN;
    let p = cell.as_ptr().cast::<Free>();
    let kept = CACHE
        .try_with(|c| {
            if c.bytes.get() + size > MAX_CACHED_BYTES {
                return false;
            }
            let head = &c.heads[class - 1];
            // SAFETY: the cell is ours, at least a word long and aligned to 8.
            unsafe { p.write(Free { next: head.get() }) };
            head.set(p);
            c.bytes.set(c.bytes.get() + size);
            true
        })
        .unwrap_or(false);
    if !kept {
        // SAFETY: every cell of a class is allocated with its class layout.
        unsafe { dealloc(p.cast(), class_layout(class)) };
    }
}

/// Memory straight from the allocator.
fn fresh<T>(layout: Layout) -> NonNull<T> {
    // A zero-sized layout cannot reach here for a task (the header has fields).
    // SAFETY: `layout` has a non-zero size.
    let p = unsafe { alloc(layout) };
    match NonNull::new(p) {
        Some(p) => p.cast(),
        None => handle_alloc_error(layout),
    }
}

/// Hands every cell this thread keeps for reuse back to the allocator.
pub fn release_cached_cells() {
    let _ = CACHE.try_with(Cache::release);
}

/// Bytes this thread keeps for reuse.
pub fn cached_cell_bytes() -> usize {
    CACHE.try_with(|c| c.bytes.get()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_freed_cell_is_reused_by_the_next_of_its_size() {
        release_cached_cells();
        let a = alloc_cell::<[u64; 5]>();
        unsafe { free_cell(a) };
        assert_eq!(cached_cell_bytes(), 40);
        // Another type of the same class takes it.
        let b = alloc_cell::<[u32; 10]>();
        assert_eq!(a.as_ptr().cast::<u8>(), b.as_ptr().cast::<u8>());
        assert_eq!(cached_cell_bytes(), 0);
        unsafe { free_cell(b) };
        release_cached_cells();
        assert_eq!(cached_cell_bytes(), 0);
    }

    #[test]
    fn the_cache_is_bounded_and_big_cells_bypass_it() {
        release_cached_cells();
        let big = alloc_cell::<[u8; 4096]>();
        unsafe { free_cell(big) };
        assert_eq!(cached_cell_bytes(), 0);
        let n = MAX_CACHED_BYTES / 512 + 10;
        let cells: Vec<_> = (0..n).map(|_| alloc_cell::<[u64; 64]>()).collect();
        for c in cells {
            unsafe { free_cell(c) };
        }
        assert!(cached_cell_bytes() <= MAX_CACHED_BYTES);
        assert!(cached_cell_bytes() > MAX_CACHED_BYTES - 512);
        release_cached_cells();
    }
}
