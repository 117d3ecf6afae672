//! The real pool as the engine's lanes backend: the pool, loop + pool and
//! thread models (GIL by messages, free threads without shared memory) run
//! `engine::lanes`' policies, the very functions the predictions simulate,
//! with jobs posted to real workers.

use std::cell::RefCell;

use engine::costs::Cost;
use engine::lanes::{JobDone, Lanes, QuantumDone};
use engine::refine::Observation;
use engine::runner::{Action, Step};
use engine::time::Nanos;
use protocol::JobStep;

use super::Pool;

/// The page's pool, seen by the lane policies; it also tallies the round
/// trips it measures, for the cost model.
pub struct PoolLanes {
    pool: Pool,
    /// (total ns, count) of job round trips beyond the worker's own time.
    dispatch: RefCell<(f64, u64)>,
    /// (total ns, count) of GIL messages (a grant or a give-back, one way).
    gil_messages: RefCell<(f64, u64)>,
}

impl PoolLanes {
    /// Lanes backed by `pool`.
    pub fn new(pool: Pool) -> Self {
        Self {
            pool,
            dispatch: RefCell::new((0.0, 0)),
            gil_messages: RefCell::new((0.0, 0)),
        }
    }

    /// What this run measured of the dispatch and GIL-message costs.
    pub fn observations(&self) -> Vec<Observation> {
        let mut out = Vec::new();
        let (total, count) = *self.dispatch.borrow();
        if count > 0 {
            out.push(Observation {
                cost: Cost::Dispatch,
                total,
                count,
            });
        }
        let (total, count) = *self.gil_messages.borrow();
        if count > 0 {
            out.push(Observation {
                cost: Cost::GilMessage,
                total,
                count,
            });
        }
        out
    }
}

fn job_step(action: &Action) -> Option<JobStep> {
    match *action {
        Action::Io(ns) => Some(JobStep::Io { ns }),
        Action::Cpu { n, .. } => Some(JobStep::Cpu { n }),
        Action::Block(ns) => Some(JobStep::Block { ns }),
        Action::Incr(_) => None,
    }
}

impl Lanes for PoolLanes {
    async fn job(&self, slot: usize, steps: &[Step], payload_kib: u32) -> Result<JobDone, String> {
        let job: Vec<JobStep> = steps.iter().filter_map(|s| job_step(&s.action)).collect();
        let r = self
            .pool
            .run(slot, job, payload_kib.saturating_mul(1024))
            .await
            .map_err(|e| e.to_string())?;
        // Round trip beyond the work itself; payloads are rare and counted
        // apart, and a job the mailbox's safety net rescued waited for it.
        if payload_kib == 0 && !r.rescued {
            let work = r
                .steps
                .last()
                .map_or(0, |l| l.1)
                .saturating_sub(r.steps.first().map_or(r.received, |f| f.0));
            let mut d = self.dispatch.borrow_mut();
            d.0 += r.answered.saturating_sub(r.sent).saturating_sub(work) as f64;
            d.1 += 1;
        }
        Ok(JobDone {
            sent: r.sent,
            received: r.received,
            steps: r.steps,
            answered: r.answered,
            checksum: r.checksum,
        })
    }

    async fn quantum(
        &self,
        slot: usize,
        from: u64,
        to: u64,
        budget: Nanos,
    ) -> Result<QuantumDone, String> {
        let q = self
            .pool
            .quantum(slot, from, to, budget)
            .await
            .map_err(|e| e.to_string())?;
        let mut g = self.gil_messages.borrow_mut();
        g.0 += (q
            .answered
            .saturating_sub(q.sent)
            .saturating_sub(q.end.saturating_sub(q.start))) as f64;
        g.1 += 2;
        Ok(q)
    }

    fn gil_turnaround(&self, gap: Nanos) {
        // Shared by the quantum's two messages: the simulation charges a
        // message each way and no turn-around, so that is where it belongs.
        self.gil_messages.borrow_mut().0 += gap as f64;
    }
}
