//! Memory per suspended task, in a test binary of its own: it counts the bytes
//! the global allocator hands out, which other tests running in parallel threads
//! of the same binary would disturb.

use std::rc::Rc;

use engine::executor::Executor;
use engine::time::{VirtualClock, SECOND};

fn setup() -> (Rc<VirtualClock>, Executor) {
    let clock = Rc::new(VirtualClock::new());
    let ex = Executor::new(clock.clone());
    (clock, ex)
}

/// Memory per suspended task, reported for the benchmark table: measured by
/// counting the bytes the allocator hands out while 100,000 sleeping tasks exist.
#[test]
fn memory_per_suspended_task_is_small() {
    let (clock, ex) = setup();
    let before = alloc_counter::live_bytes();
    for i in 0..100_000u64 {
        let h = ex.handle();
        ex.spawn(async move { h.sleep(SECOND + i).await });
    }
    ex.run(u64::MAX); // every task polled once and now suspended on its timer
    let per_task = (alloc_counter::live_bytes() - before) / 100_000;
    println!("memory per suspended sleeping task: {per_task} bytes (task + timer entry)");
    assert!(per_task < 400, "{per_task} bytes per task");
    ex.run_virtual(&clock);
}

mod alloc_counter {
    //! A counting global allocator for this test binary only.
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicIsize, Ordering};

    static LIVE: AtomicIsize = AtomicIsize::new(0);

    struct Counting;

    // SAFETY: forwards every call to the system allocator unchanged and only
    // keeps a count on the side.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
            // SAFETY: same contract as the caller's.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
            // SAFETY: same contract as the caller's.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static GLOBAL: Counting = Counting;

    pub fn live_bytes() -> isize {
        LIVE.load(Ordering::Relaxed)
    }
}
