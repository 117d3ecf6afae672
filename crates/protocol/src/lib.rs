//! The messages between the page and its workers, owned in one place.
//!
//! A message travels as a `Uint8Array` of [postcard] bytes (small, and no JSON
//! parser in the worker). A job's payload travels beside it as its own
//! `ArrayBuffer`, transferred rather than copied, so large payloads cost a
//! pointer move, as `multiprocessing` would wish.
//!
//! # The handshake
//!
//! A message posted to a worker before its wasm has initialised is lost. So a
//! worker posts [`FromWorker::Ready`] once its `onmessage` handler is installed,
//! and the page sends nothing to a worker before that.
//!
//! # Time
//!
//! A worker's `performance.now()` counts from the worker's own origin. Workers
//! report instants as milliseconds since the Unix epoch (`timeOrigin + now()`),
//! which the page converts to its own clock.

use serde::{Deserialize, Serialize};

/// What a job asks a worker to do, step by step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobStep {
    /// Σ i² for i < n, exactly.
    Cpu {
        /// Iterations.
        n: u64,
    },
    /// Wait for `ns` nanoseconds; the worker takes no other job meanwhile.
    Io {
        /// How long.
        ns: u64,
    },
    /// Spin for `ns` nanoseconds.
    Block {
        /// How long.
        ns: u64,
    },
    /// Read the shared counter, maybe pause, write it back plus one (thread jobs only).
    Incr {
        /// What sits between the read and the write.
        gap: IncrGap,
    },
}

/// What sits between an `incr` step's read and write, on a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IncrGap {
    /// A few bytecodes' worth of work (a switch may still land there).
    Plain,
    /// `time.sleep(0)`: drops the GIL.
    Yield,
    /// `time.sleep(ns)`: drops the GIL for that long.
    Sleep {
        /// How long.
        ns: u64,
    },
    /// `Atomics.add`: never loses an update.
    Atomic,
}

/// How a thread runs: on lane `lane` of a shared-memory thread pool, with or
/// without the GIL. The message carries a `SharedArrayBuffer` (the GIL word,
/// the drop request, the counter, the queue index) as its third item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadMode {
    /// Whether the thread must hold the GIL to run CPU work.
    pub gil: bool,
    /// The thread's lane (0-based).
    pub lane: u16,
    /// How many threads run the queue: each waits at a start barrier until
    /// all have arrived, as `Thread.start()` on each starts them together.
    pub threads: u16,
    /// How long a waiter waits before asking the holder to drop the GIL, µs.
    pub switch_us: u32,
}

/// Indices of the shared `Int32Array` words thread jobs use.
pub mod shared {
    /// 0 when the GIL is free, else the holder's lane + 1.
    pub const GIL: u32 = 0;
    /// Set by a thread that waited a switch interval; the holder drops the GIL.
    pub const DROP_REQUEST: u32 = 1;
    /// The shared counter `incr` works on.
    pub const COUNTER: u32 = 2;
    /// GIL hand-overs so far.
    pub const HANDOVERS: u32 = 3;
    /// The next task a thread takes from the shared queue.
    pub const NEXT_TASK: u32 = 4;
    /// Threads arrived at the start barrier.
    pub const STARTED: u32 = 5;
    /// Times a thread has taken the GIL (CPython's `switch_number`): a
    /// holder that dropped it waits for this to move.
    pub const SWITCHES: u32 = 6;
    /// Words in the buffer before the threads' span rings.
    pub const WORDS: u32 = 8;

    // Each thread also streams its spans through the buffer as it goes, so
    // the page draws them live and keeps them if the run is cancelled (a
    // cancelled worker never replies). Per lane: two counters, then a ring.

    /// Records in a lane's ring.
    pub const RING: u32 = 512;
    /// Words per record: the task, `step | state << 8`, the start in whole
    /// epoch µs (high and low words), and the end minus the start, in µs.
    pub const RECORD_WORDS: u32 = 5;

    /// The word counting the records lane `lane` has written.
    pub const fn written(lane: u32) -> u32 {
        WORDS + 2 * lane
    }

    /// The word counting the records the page has read from lane `lane`.
    pub const fn read(lane: u32) -> u32 {
        WORDS + 2 * lane + 1
    }

    /// The first word of record `index` of lane `lane` (of `threads`).
    pub const fn record(lane: u32, threads: u32, index: u32) -> u32 {
        WORDS + 2 * threads + (lane * RING + index % RING) * RECORD_WORDS
    }

    /// Words in the buffer for `threads` threads.
    pub const fn words(threads: u32) -> u32 {
        WORDS + threads * (2 + RING * RECORD_WORDS)
    }

    /// A state's number in a record (the inverse of [`state_of`]).
    pub const fn state_code(s: super::ThreadState) -> i32 {
        match s {
            super::ThreadState::Running => 0,
            super::ThreadState::Waiting => 1,
            super::ThreadState::GilBlocked => 2,
        }
    }

    /// The state a record's number stands for.
    pub const fn state_of(code: i32) -> super::ThreadState {
        match code {
            0 => super::ThreadState::Running,
            1 => super::ThreadState::Waiting,
            _ => super::ThreadState::GilBlocked,
        }
    }
}

/// What a thread was doing during a [`WorkerSpan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThreadState {
    /// Running (holding the GIL, if there is one).
    Running,
    /// Waiting (I/O, or a blocking call: the GIL is dropped meanwhile).
    Waiting,
    /// Wanting to run but waiting for the GIL.
    GilBlocked,
}

/// A stretch of one step, as a thread timed it (epoch ms).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WorkerSpan {
    /// The task's index in the batch (0 for single jobs).
    pub task: u32,
    /// The step's index in the job.
    pub step: u8,
    /// What the thread was doing.
    pub state: ThreadState,
    /// Start, epoch ms.
    pub start_ms: f64,
    /// End, epoch ms.
    pub end_ms: f64,
}

/// Page → worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ToWorker {
    /// Run a job and answer with [`FromWorker::Done`].
    Job {
        /// Chosen by the page; echoed in the answer.
        job: u64,
        /// The steps, in order.
        steps: Vec<JobStep>,
        /// Bytes of payload to send back (the request's payload rides beside the message).
        reply_payload_bytes: u32,
    },
    /// The thread models: every task of the run, as a shared queue. Each
    /// thread takes the next task index with `Atomics.add` on
    /// [`shared::NEXT_TASK`] until none are left (like a `ThreadPoolExecutor`'s
    /// work queue, with no round trip to the page between tasks), then answers
    /// with one [`FromWorker::Done`] whose spans carry task indices.
    Threads {
        /// Chosen by the page; echoed in the answer.
        job: u64,
        /// Each task's steps.
        tasks: Vec<Vec<JobStep>>,
        /// GIL or not, lane, switch interval.
        mode: ThreadMode,
    },
    /// One turn holding the GIL by messages: compute Σ i² for `from <= i < to`,
    /// checking the worker's own clock every few thousand iterations, and stop
    /// once `budget_ns` has passed (CPython's switch interval). Answered with
    /// [`FromWorker::Quantum`]: that answer gives the GIL back to the page.
    Quantum {
        /// Chosen by the page; echoed in the answer.
        job: u64,
        /// First iteration.
        from: u64,
        /// One past the last iteration.
        to: u64,
        /// How long the thread may hold the GIL, ns.
        budget_ns: u64,
    },
    /// Panic on purpose: lets tests (and the fault drill) check that a dying
    /// worker is reported and replaced.
    Crash,
    /// Warm the kernel up and report its cost per iteration with
    /// [`FromWorker::Probe`]. The page asks once it has drawn and is idle:
    /// a probe is tens of ms of CPU per worker, which on a small machine
    /// would otherwise share the cores with the page's own start-up.
    Probe,
    /// A mailbox in shared memory rides beside this message (where the page
    /// is cross-origin isolated): after a job, the worker listens on it for
    /// a moment, and the page posts the next job of CPU work there rather
    /// than as a message (the browser's `mailbox` module).
    Mailbox,
}

/// One step as the worker timed it, in epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepTiming {
    /// When the step began.
    pub start_ms: f64,
    /// When it ended.
    pub end_ms: f64,
}

/// Worker → page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// The worker's handler is installed; it may now receive jobs.
    Ready {
        /// When the worker's wasm started, in epoch ms (start-up ends here).
        at_ms: f64,
        /// Whether the worker can block with `Atomics.wait`.
        can_block: bool,
    },
    /// A job finished.
    Done {
        /// The job's id.
        job: u64,
        /// Σ of every CPU step's exact result.
        checksum: u128,
        /// When the request arrived at the worker, epoch ms.
        received_ms: f64,
        /// Each step's timing, in order.
        steps: Vec<StepTiming>,
        /// Payload bytes the worker received.
        payload_in: u32,
        /// Thread jobs: finer spans (running, waiting, GIL-blocked).
        spans: Vec<WorkerSpan>,
    },
    /// A quantum ended: the thread gives the GIL back.
    Quantum {
        /// The job's id.
        job: u64,
        /// When the request arrived, epoch ms.
        received_ms: f64,
        /// When computing began, epoch ms.
        start_ms: f64,
        /// When it stopped, epoch ms.
        end_ms: f64,
        /// How far it got (exclusive).
        reached: u64,
        /// Σ i² over `from..reached`.
        sum: u128,
    },
    /// The worker measured its kernel after warming it up (sent once, after
    /// [`FromWorker::Ready`]): `ns` for `iterations` iterations.
    Probe {
        /// Iterations timed.
        iterations: u64,
        /// How long they took, ns.
        ns: f64,
    },
    /// A job could not run.
    Failed {
        /// The job's id (0 if the request could not even be read).
        job: u64,
        /// Why.
        message: String,
    },
}

/// Why bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "malformed worker message: {}", self.0)
    }
}

/// Encodes a message to bytes.
pub fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    // Serialising these plain types into a Vec cannot fail.
    postcard::to_allocvec(msg).unwrap_or_default()
}

/// Decodes a message from bytes.
pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, DecodeError> {
    postcard::from_bytes(bytes).map_err(|e| DecodeError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_round_trips() {
        let to = [
            ToWorker::Job {
                job: 7,
                steps: vec![
                    JobStep::Cpu { n: 10_000_000 },
                    JobStep::Io { ns: 5 },
                    JobStep::Block { ns: 1 },
                    JobStep::Incr {
                        gap: IncrGap::Sleep { ns: 9 },
                    },
                ],
                reply_payload_bytes: 1024,
            },
            ToWorker::Crash,
            ToWorker::Quantum {
                job: 9,
                from: 5,
                to: 1_000_000,
                budget_ns: 5_000_000,
            },
            ToWorker::Threads {
                job: 3,
                tasks: vec![vec![JobStep::Cpu { n: 5 }], vec![]],
                mode: ThreadMode {
                    gil: false,
                    lane: 0,
                    threads: 1,
                    switch_us: 1,
                },
            },
        ];
        for m in to {
            assert_eq!(decode::<ToWorker>(&encode(&m)), Ok(m));
        }
        let from = [
            FromWorker::Ready {
                at_ms: 1.7e12,
                can_block: true,
            },
            FromWorker::Done {
                job: 7,
                checksum: 333_333_283_333_335_000_000,
                received_ms: 1.5,
                steps: vec![StepTiming {
                    start_ms: 1.0,
                    end_ms: 2.5,
                }],
                payload_in: 64,
                spans: vec![WorkerSpan {
                    task: 4,
                    step: 0,
                    state: ThreadState::GilBlocked,
                    start_ms: 1.0,
                    end_ms: 2.0,
                }],
            },
            FromWorker::Failed {
                job: 1,
                message: "boom".into(),
            },
            FromWorker::Quantum {
                job: 9,
                received_ms: 1.0,
                start_ms: 1.5,
                end_ms: 6.5,
                reached: 77,
                sum: 12_345,
            },
            FromWorker::Probe {
                iterations: 1 << 20,
                ns: 512_000.0,
            },
        ];
        for m in from {
            assert_eq!(decode::<FromWorker>(&encode(&m)), Ok(m));
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [
            &[][..],
            &[0xff; 3],
            &[0, 200, 1],
            &[1, 2, 3, 4, 5, 6, 7, 8, 9],
        ] {
            let _ = decode::<ToWorker>(bytes);
            let _ = decode::<FromWorker>(bytes);
        }
        assert!(decode::<ToWorker>(&[9])
            .unwrap_err()
            .to_string()
            .contains("malformed"));
    }
}
