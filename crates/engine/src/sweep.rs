//! Sweeps: one parameter varied over a list of values, the rest held still.

use std::fmt;
use std::str::FromStr;

use workload::{Phase, Workload};

/// What a sweep varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SweepParam {
    /// Every group's task count.
    Tasks,
    /// Worker lanes.
    Workers,
    /// Every CPU phase's size.
    CpuSize,
    /// Every CPU phase's yield interval.
    YieldEvery,
}

impl SweepParam {
    /// All, in menu order.
    pub const ALL: [SweepParam; 4] = [
        SweepParam::Tasks,
        SweepParam::Workers,
        SweepParam::CpuSize,
        SweepParam::YieldEvery,
    ];

    /// The short name.
    pub fn name(self) -> &'static str {
        match self {
            SweepParam::Tasks => "tasks",
            SweepParam::Workers => "workers",
            SweepParam::CpuSize => "cpu",
            SweepParam::YieldEvery => "yield",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            SweepParam::Tasks => "Tasks per group",
            SweepParam::Workers => "Workers",
            SweepParam::CpuSize => "CPU size (iterations)",
            SweepParam::YieldEvery => "Yield every (iterations)",
        }
    }

    /// `workload` with this parameter set to `value` (workers live outside the
    /// workload: unchanged here).
    pub fn apply(self, workload: &Workload, value: u64) -> Workload {
        let mut w = workload.clone();
        for g in &mut w.groups {
            match self {
                SweepParam::Tasks => g.count = value.clamp(1, u64::from(u32::MAX)) as u32,
                SweepParam::Workers => {}
                SweepParam::CpuSize | SweepParam::YieldEvery => {
                    for p in &mut g.phases {
                        if let Phase::Cpu { n, opts } = p {
                            if self == SweepParam::CpuSize {
                                *n = value;
                            } else {
                                opts.yield_every = Some(value);
                            }
                        }
                    }
                }
            }
        }
        w
    }
}

impl SweepParam {
    /// Checks `values` for this parameter on `workload`: workers from 1 to
    /// `max_workers` (what the editor allows on this machine), and no more
    /// tasks in all than a workload may hold. The message names the value.
    pub fn check(
        self,
        workload: &Workload,
        values: &[u64],
        max_workers: u16,
    ) -> Result<(), String> {
        for &v in values {
            match self {
                SweepParam::Workers if v == 0 || v > u64::from(max_workers) => {
                    return Err(format!(
                        "{v} workers: a run here takes from 1 to {max_workers} (twice this machine's cores)"
                    ));
                }
                SweepParam::Tasks => {
                    let total = self.apply(workload, v).task_count();
                    if v == 0 || total > workload::MAX_TASKS {
                        return Err(format!(
                            "{v} tasks per group: a workload holds from 1 to {} tasks in all, and this would be {}",
                            workload::MAX_TASKS,
                            total
                        ));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl fmt::Display for SweepParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SweepParam {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        SweepParam::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("unknown sweep parameter \"{s}\""))
    }
}

/// Parses a list of sweep values such as `1,2,4,8` or `1k, 10k, 100k`: at
/// most 12 values, each a count in the workload language's notation.
pub fn parse_values(text: &str) -> Result<Vec<u64>, String> {
    let mut out = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let w = workload::parse(&format!("cpu({item})"))
            .map_err(|_| format!("\"{item}\" is not a count (try 1k or 1000)"))?;
        match w.groups.first().and_then(|g| g.phases.first()) {
            Some(Phase::Cpu { n, .. }) => out.push(*n),
            _ => return Err(format!("\"{item}\" is not a count")),
        }
    }
    if out.is_empty() {
        return Err("give at least one value, such as 1,2,4,8".into());
    }
    if out.len() > 12 {
        return Err("at most 12 values in a sweep".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apply_changes_only_its_parameter() {
        let w: Workload = "4*[io(1ms),cpu(1M)]+2*cpu(5k,yield=0)".parse().unwrap();
        assert_eq!(
            SweepParam::Tasks.apply(&w, 8).to_string(),
            "8*[io(1ms),cpu(1M)]+8*cpu(5k,yield=0)"
        );
        assert_eq!(
            SweepParam::CpuSize.apply(&w, 2_000).to_string(),
            "4*[io(1ms),cpu(2k)]+2*cpu(2k,yield=0)"
        );
        assert_eq!(
            SweepParam::YieldEvery.apply(&w, 10).to_string(),
            "4*[io(1ms),cpu(1M,yield=10)]+2*cpu(5k,yield=10)"
        );
        assert_eq!(SweepParam::Workers.apply(&w, 3), w);
    }

    #[test]
    fn check_refuses_workers_and_task_counts_a_run_cannot_take() {
        let w: Workload = "4*io(1ms)+2*cpu(5k)".parse().unwrap();
        assert!(SweepParam::Workers.check(&w, &[1, 2, 4], 4).is_ok());
        let e = SweepParam::Workers.check(&w, &[1, 999_999], 4).unwrap_err();
        assert!(e.contains("999999 workers") && e.contains("1 to 4"), "{e}");
        assert!(SweepParam::Workers.check(&w, &[0], 4).is_err());
        // Two groups: 1M per group is 2M in all, the most a workload holds.
        assert!(SweepParam::Tasks.check(&w, &[1, 1_000_000], 4).is_ok());
        let e = SweepParam::Tasks.check(&w, &[3_000_000], 4).unwrap_err();
        assert!(
            e.contains("3000000 tasks per group") && e.contains("6000000"),
            "{e}"
        );
        assert!(SweepParam::CpuSize.check(&w, &[1_000_000_000], 1).is_ok());
    }

    #[test]
    fn values_parse_with_units_and_limits() {
        assert_eq!(parse_values("1, 2,4 ,8"), Ok(vec![1, 2, 4, 8]));
        assert_eq!(parse_values("1k,1M"), Ok(vec![1_000, 1_000_000]));
        assert!(parse_values("").is_err());
        assert!(parse_values("1,x").unwrap_err().contains("\"x\""));
        assert!(parse_values(&"1,".repeat(13)).is_err());
    }
}
