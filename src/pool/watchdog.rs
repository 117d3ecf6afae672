//! The mailbox's safety net: a job sent through a worker's mailbox
//! ([`crate::mailbox`]) can never be lost, even if a hand-off goes wrong.
//!
//! Why: one fresh-clone CI run in five of the first mailbox held a page's
//! start-up probe for 15 s, most likely a mailbox job whose answer never
//! reached the page, and reading the hand-shake found no cause. So while a
//! job is out through a mailbox, a timer looks every [`TICK_MS`]: a request
//! still untaken at two looks in a row is taken back (by compare-and-swap,
//! so the worker cannot also run it) and sent as a message; an answer left
//! untaken at two looks in a row (its `Atomics.waitAsync` never fired) is
//! taken and handled here. A look that comes late ([`LATE_MS`] after the one
//! before: the page's thread was busy, a sequential run's block, say) does
//! not confirm: a wake-up that arrived meanwhile waits in the same task
//! queue and has not had its turn yet, so it is not lost; the look after it
//! does, and a third stuck look always does. Either costs the job
//! [`TICK_MS`]–2×[`TICK_MS`] of the page's free time, never the page; each is counted ([`rescues`]) and logged with the
//! mailbox's words (`console.warn`, "mailbox: …"), and the e2e tests print
//! those lines, so a rare fault shows up where it happened.
//!
//! The timer runs only while some job is out through a mailbox: the fast
//! path pays one flag check a job, the idle page nothing.

use std::cell::{Cell, OnceCell};
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{on_answer, Inner, JobError};
use crate::clock::{ms_to_ns, now_ms};

/// How often the timer looks, ms. A hand-off takes microseconds, or a few
/// milliseconds when the machine is loaded; a job stuck for two looks is
/// stuck.
pub const TICK_MS: i32 = 50;

/// A look this long after the one before came late: the page's thread was
/// busy in between, ms. Twice the tick: a loaded machine fires the interval
/// some ms late, which is no busy spell.
pub const LATE_MS: f64 = 2.0 * TICK_MS as f64;

thread_local! {
    /// Jobs the safety net has rescued since the page loaded.
    static RESCUES: Cell<u64> = const { Cell::new(0) };
}

/// Mailbox jobs the safety net rescued (taken back and sent as messages, or
/// answers taken without their wake-up), since the page loaded. Zero on a
/// healthy page.
pub fn rescues() -> u64 {
    RESCUES.with(Cell::get)
}

/// How a look found a job stuck.
#[derive(Clone, Copy, PartialEq)]
enum Stuck {
    /// The request is still posted: the worker has not taken it.
    Untaken,
    /// The answer is there, unread: its wake-up has not come.
    Unread,
}

/// A job out through a slot's mailbox, as the timer last saw it.
pub(super) struct Watched {
    /// The job's id (the slot's job must still be this one).
    job: u64,
    /// How the last look found it, if stuck. A job is rescued only when two
    /// looks in a row find it stuck the same way: a request taken late whose
    /// answer has just come is no lost wake-up.
    stuck: Option<Stuck>,
    /// How many looks in a row have found it stuck that way.
    seen: u8,
}

impl Watched {
    /// A job just posted.
    pub fn new(job: u64) -> Self {
        Self {
            job,
            stuck: None,
            seen: 0,
        }
    }
}

/// One pool's timer.
#[derive(Default)]
pub(super) struct Watchdog {
    /// The interval's id while it runs.
    timer: Cell<Option<i32>>,
    /// Its handler, made once and kept: the handler stops the interval from
    /// inside itself, so it must not be dropped there.
    tick: OnceCell<Closure<dyn FnMut()>>,
    /// When the interval last ran (or started), ms on the page's clock.
    last_look: Cell<f64>,
}

impl Drop for Watchdog {
    /// A pool dropped with a job out (shut down, or a pool of another size
    /// replaced it) must not leave its interval calling a dropped handler.
    fn drop(&mut self) {
        self.stop();
    }
}

impl Watchdog {
    /// Stops the interval, if it runs.
    fn stop(&self) {
        if let (Some(id), Some(w)) = (self.timer.take(), web_sys::window()) {
            w.clear_interval_with_handle(id);
        }
    }
}

/// Starts `inner`'s timer if it is not running (call after posting a job
/// through a mailbox).
pub(super) fn arm(inner: &Rc<Inner>) {
    let dog = &inner.watchdog;
    if dog.timer.get().is_some() {
        return;
    }
    let weak: Weak<Inner> = Rc::downgrade(inner);
    let tick = dog.tick.get_or_init(|| {
        Closure::new(move || {
            if let Some(inner) = weak.upgrade() {
                look(&inner);
            }
        })
    });
    let id = web_sys::window().and_then(|w| {
        w.set_interval_with_callback_and_timeout_and_arguments_0(
            tick.as_ref().unchecked_ref(),
            TICK_MS,
        )
        .ok()
    });
    dog.timer.set(id);
    dog.last_look.set(now_ms());
}

/// What a look found to do for one worker.
enum Rescue {
    /// An answer left waiting: handle it.
    Answer {
        lane: usize,
        generation: u32,
        bytes: Vec<u8>,
        why: String,
    },
    /// A request taken back: it was sent as a message.
    Resent { why: String },
    /// A request taken back that could not be sent: the job fails.
    Failed {
        waiting: super::Waiting,
        why: String,
    },
}

/// One look at every job out through a mailbox.
fn look(inner: &Rc<Inner>) {
    let mut rescued = Vec::new();
    let mut watching = false;
    let at = now_ms();
    let gap = at - inner.watchdog.last_look.replace(at);
    let late = gap > LATE_MS;
    {
        let mut slots = inner.slots.borrow_mut();
        for (lane, slot) in slots.iter_mut().enumerate() {
            let current = slot.job.as_ref().map(|(id, _, _)| *id);
            let Some(w) = slot.watched.as_mut().filter(|w| Some(w.job) == current) else {
                slot.watched = None;
                continue;
            };
            let Some((mb, _)) = &slot.mailbox else {
                slot.watched = None;
                continue;
            };
            let now = if mb.answer_waiting() {
                Some(Stuck::Unread)
            } else if mb.request_untaken() {
                Some(Stuck::Untaken)
            } else {
                None
            };
            if now.is_none() || now != w.stuck {
                w.stuck = now;
                w.seen = u8::from(now.is_some());
                watching = true;
                continue;
            }
            w.seen = w.seen.saturating_add(1);
            if late && w.seen < 3 {
                // The page was busy since the last look: what woke meanwhile
                // has not run yet. The next look decides.
                watching = true;
                continue;
            }
            let words = mb.describe();
            let job = w.job;
            if now == Some(Stuck::Unread) {
                if let Some(bytes) = mb.take_answer() {
                    slot.watched = None;
                    slot.rescued = true;
                    slot.answer_rescued_at.set(Some(at));
                    rescued.push(Rescue::Answer {
                        lane,
                        generation: slot.generation,
                        bytes,
                        why: format!(
                            "worker {lane}'s answer to job {job} waited {TICK_MS}+ ms without its wake-up (looks {gap:.0} ms apart; {words})"
                        ),
                    });
                }
            } else if let Some(request) = mb.reclaim() {
                slot.watched = None;
                slot.rescued = true;
                match slot.send(&request, None, None) {
                    Ok(()) => rescued.push(Rescue::Resent {
                        why: format!(
                            "worker {lane} left job {job} untaken {TICK_MS}+ ms; sent it as a message (looks {gap:.0} ms apart; {words})"
                        ),
                    }),
                    Err(e) => {
                        if let Some((_, _, waiting)) = slot.job.take() {
                            rescued.push(Rescue::Failed {
                                waiting,
                                why: format!(
                                    "worker {lane} left job {job} untaken {TICK_MS}+ ms, and it could not be sent as a message: {e:?} ({words})"
                                ),
                            });
                        }
                    }
                }
            } else {
                // Taken meanwhile: keep watching.
                w.stuck = None;
                w.seen = 0;
                watching = true;
            }
        }
    }
    if !watching {
        inner.watchdog.stop();
    }
    for r in rescued {
        RESCUES.with(|n| n.set(n.get() + 1));
        match r {
            Rescue::Answer {
                lane,
                generation,
                bytes,
                why,
            } => {
                warn(&why);
                on_answer(inner, lane, generation, ms_to_ns(now_ms()), &bytes);
            }
            Rescue::Resent { why } => warn(&why),
            Rescue::Failed { waiting, why } => {
                warn(&why);
                waiting.fail(JobError::Unavailable(why));
            }
        }
    }
}

/// An answer's wake-up came `ms` after the safety net read the answer: the
/// wake-up was late (its task waited behind others), not lost. Logged, so a
/// rescue in the tests' output can be told apart from a real loss.
pub(super) fn late_wake_up(lane: usize, ms: f64) {
    warn(&format!(
        "worker {lane}'s wake-up came {ms:.0} ms after the safety net read its answer: late, not lost"
    ));
}

fn warn(why: &str) {
    web_sys::console::warn_1(&format!("mailbox: {why}").into());
}
