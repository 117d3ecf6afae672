//! What the chart area shows: the tab, the timeline's window, the
//! inspector's playhead and model.

use leptos::prelude::*;

/// The main area's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Every model's lanes on one time axis.
    Timeline,
    /// Wall time per model, measured and predicted.
    Compare,
    /// The metrics table.
    Results,
    /// Wall time against one varied parameter.
    Sweep,
    /// The same workload in Python and JavaScript.
    Code,
    /// Every preset, with what to look for.
    Gallery,
}

impl Tab {
    /// Every tab, in order.
    pub const ALL: [Tab; 6] = [
        Tab::Timeline,
        Tab::Compare,
        Tab::Results,
        Tab::Sweep,
        Tab::Code,
        Tab::Gallery,
    ];

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Tab::Timeline => "Timeline",
            Tab::Compare => "Compare",
            Tab::Results => "Results",
            Tab::Sweep => "Sweep",
            Tab::Code => "Code",
            Tab::Gallery => "Presets",
        }
    }

    /// The name used in test ids.
    pub fn name(self) -> &'static str {
        match self {
            Tab::Timeline => "timeline",
            Tab::Compare => "compare",
            Tab::Results => "results",
            Tab::Sweep => "sweep",
            Tab::Code => "code",
            Tab::Gallery => "gallery",
        }
    }
}

/// The chart area's view state.
#[derive(Clone, Copy)]
pub struct ViewState {
    /// The tab shown.
    pub tab: RwSignal<Tab>,
    /// The timeline's window, ns from the runs' start; `None` follows the
    /// whole run (and grows with a live one).
    pub window: RwSignal<Option<(f64, f64)>>,
    /// One row per task instead of per lane.
    pub by_task: RwSignal<bool>,
    /// The inspector's playhead, ns from the run's start; `None` = hidden.
    pub playhead: RwSignal<Option<u64>>,
    /// Which run the inspector shows: `m:<model>` for a model of the run,
    /// `i:<n>` for the n-th imported trace (default: the run's first model).
    pub inspect: RwSignal<Option<String>>,
    /// Whether the inspector shows the prediction rather than the measurement.
    pub inspect_predicted: RwSignal<bool>,
}

impl ViewState {
    /// The view a page starts with: the timeline.
    pub fn new(tab: Tab) -> Self {
        Self {
            tab: RwSignal::new(tab),
            window: RwSignal::new(None),
            by_task: RwSignal::new(false),
            playhead: RwSignal::new(None),
            inspect: RwSignal::new(None),
            inspect_predicted: RwSignal::new(false),
        }
    }
}
