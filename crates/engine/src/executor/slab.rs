//! Task cells, recycled by size: one executor's memory for its tasks.
//!
//! A run spawns its tasks at once and frees them as they finish: in the
//! browser's allocator (dlmalloc) each free of a task coalesces it with its
//! neighbours, freed just before, into a chunk that grows and moves between
//! bins, and that was about a third of a spawn + complete (P2). Here a task's
//! cell is carved from a chunk shared by cells of its size, and a freed cell
//! goes onto that size's list for the next spawn: a pointer pushed, a pointer
//! popped. The chunks go back to the allocator when the executor goes (a task
//! holds the executor, so none outlives them). A cell carries no allocator
//! header, so a suspended task also takes a few bytes less.
//!
//! # Safety
//!
//! Every cell lies inside one live chunk, at a multiple of [`GRAIN`] from its
//! start, and is [`GRAIN`]-aligned and its class's size: at least a pointer,
//! which a free cell holds (the next free cell of its class). A cell is either
//! free (on its class's list, untouched by anyone else) or handed out (its
//! owner's, never on a list). Chunks are only freed by `Drop`, when no cell
//! can be in use.

use std::alloc::Layout;
use std::cell::{Cell, RefCell};
use std::ptr::{self, NonNull};

/// Cell sizes are multiples of this, and cells are aligned to it (a pointer's
/// size and alignment at most, on every target we build for).
const GRAIN: usize = 8;
/// Size classes: cells of up to `GRAIN * CLASSES` bytes come from the slab.
const CLASSES: usize = 64;
/// The first chunk of a class, in bytes; each new one is twice the last, up to [`CHUNK_MAX`].
const CHUNK_MIN: usize = 1024;
/// The largest chunk, in bytes: a million tasks take a few thousand chunks.
const CHUNK_MAX: usize = 64 * 1024;

const _: () = assert!(GRAIN >= size_of::<*mut u8>() && GRAIN.is_multiple_of(align_of::<*mut u8>()));

/// Whether a value of `layout` is kept in the slab (anything else is boxed).
pub(super) const fn fits(layout: Layout) -> bool {
    layout.size() > 0 && layout.size() <= GRAIN * CLASSES && layout.align() <= GRAIN
}

/// One size's cells: its free list and the part of its newest chunk never handed out.
struct Class {
    /// The first free cell; each holds the next (null ends the list).
    free: Cell<*mut u8>,
    /// The next never-used cell of the newest chunk, and how many follow it.
    fresh: Cell<*mut u8>,
    fresh_left: Cell<usize>,
    /// The size of this class's next chunk.
    next_chunk: Cell<usize>,
}

/// The cells of one executor's tasks (see the module's text).
pub(super) struct Slab {
    classes: [Class; CLASSES],
    /// Every chunk, to free when the slab goes.
    chunks: RefCell<Vec<(NonNull<u8>, Layout)>>,
}

impl Slab {
    pub(super) fn new() -> Self {
        Self {
            classes: std::array::from_fn(|_| Class {
                free: Cell::new(ptr::null_mut()),
                fresh: Cell::new(ptr::null_mut()),
                fresh_left: Cell::new(0),
                next_chunk: Cell::new(CHUNK_MIN),
            }),
            chunks: RefCell::new(Vec::new()),
        }
    }

    /// The class of a `size`-byte cell and the cell's size.
    #[inline]
    fn class(size: usize) -> (usize, usize) {
        let k = size.div_ceil(GRAIN).max(1);
        (k - 1, k * GRAIN)
    }

    /// A cell for a value of `layout`, which must [`fits`]; aborts if the
    /// allocator has no memory left, as `Box::new` does.
    #[inline]
    pub(super) fn alloc(&self, layout: Layout) -> NonNull<u8> {
        debug_assert!(fits(layout));
        let (k, size) = Self::class(layout.size());
        let c = &self.classes[k];
        let head = c.free.get();
        if !head.is_null() {
            // SAFETY: a free cell holds the next free cell of its class.
            c.free.set(unsafe { head.cast::<*mut u8>().read() });
            // SAFETY: checked non-null above.
            return unsafe { NonNull::new_unchecked(head) };
        }
        if c.fresh_left.get() == 0 {
            self.grow(c, size);
        }
        let cell = c.fresh.get();
        // SAFETY: `fresh_left` cells of `size` bytes follow `cell` in its chunk,
        // so the next one (or the chunk's end) is in bounds.
        c.fresh.set(unsafe { cell.add(size) });
        c.fresh_left.set(c.fresh_left.get() - 1);
        // SAFETY: a chunk's cells are never null.
        unsafe { NonNull::new_unchecked(cell) }
    }

    /// Gives back a cell from [`Slab::alloc`] for the same `layout`.
    ///
    /// SAFETY: `cell` came from this slab's `alloc(layout)`, is not on a list
    /// yet, and nothing uses it any more.
    #[inline]
    pub(super) unsafe fn free(&self, cell: NonNull<u8>, layout: Layout) {
        let c = &self.classes[Self::class(layout.size()).0];
        // SAFETY: the cell is at least a pointer long and aligned for one, and ours now.
        unsafe { cell.as_ptr().cast::<*mut u8>().write(c.free.get()) };
        c.free.set(cell.as_ptr());
    }

    /// A new chunk for class `c` (cells of `size` bytes).
    #[cold]
    fn grow(&self, c: &Class, size: usize) {
        let bytes = c.next_chunk.get().max(size);
        c.next_chunk.set((bytes * 2).min(CHUNK_MAX));
        let cells = bytes / size;
        let layout = Layout::from_size_align(cells * size, GRAIN).expect("a chunk's layout");
        // SAFETY: the layout's size is at least one cell, so not zero.
        let Some(chunk) = NonNull::new(unsafe { std::alloc::alloc(layout) }) else {
            std::alloc::handle_alloc_error(layout)
        };
        self.chunks.borrow_mut().push((chunk, layout));
        c.fresh.set(chunk.as_ptr());
        c.fresh_left.set(cells);
    }
}

impl Drop for Slab {
    fn drop(&mut self) {
        for (chunk, layout) in self.chunks.get_mut().drain(..) {
            // SAFETY: allocated in `grow` with this layout; every task (each
            // holds the executor, and so this slab) is gone.
            unsafe { std::alloc::dealloc(chunk.as_ptr(), layout) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_reused_per_size_and_never_overlap() {
        let slab = Slab::new();
        let l24 = Layout::from_size_align(24, 8).unwrap();
        let l100 = Layout::from_size_align(100, 4).unwrap();
        let a: Vec<_> = (0..500).map(|_| slab.alloc(l24)).collect();
        let b: Vec<_> = (0..500).map(|_| slab.alloc(l100)).collect();
        // Every cell is aligned, and no two overlap.
        let mut spans: Vec<(usize, usize)> = a
            .iter()
            .map(|p| (p.as_ptr() as usize, 24))
            .chain(b.iter().map(|p| (p.as_ptr() as usize, 104)))
            .collect();
        assert!(spans.iter().all(|&(at, _)| at % GRAIN == 0));
        spans.sort_unstable();
        assert!(spans.windows(2).all(|w| w[0].0 + w[0].1 <= w[1].0));
        // Written to end to end (Miri checks the bounds).
        for p in &b {
            unsafe { p.as_ptr().write_bytes(0xAB, 100) };
        }
        // A freed cell is the next one handed out, for its size only.
        unsafe { slab.free(a[7], l24) };
        assert_ne!(slab.alloc(l100), a[7]);
        assert_eq!(slab.alloc(l24), a[7]);
        let chunks = slab.chunks.borrow().len();
        for p in &a {
            unsafe { slab.free(*p, l24) };
        }
        // The 500 come back from the free list: no chunk is added.
        let mut again: Vec<_> = (0..500).map(|_| slab.alloc(l24)).collect();
        assert_eq!(slab.chunks.borrow().len(), chunks);
        let mut a = a;
        a.sort_unstable();
        again.sort_unstable();
        assert_eq!(again, a);
    }

    #[test]
    fn which_layouts_fit() {
        assert!(fits(Layout::new::<[u64; 64]>()));
        assert!(!fits(Layout::new::<[u64; 65]>()));
        assert!(!fits(Layout::from_size_align(32, 16).unwrap()));
        assert!(!fits(Layout::new::<()>()));
    }
}
