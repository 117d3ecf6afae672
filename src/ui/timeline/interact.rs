//! The timeline's interaction, as arithmetic on the visible window: zoom
//! around a point, pan, pinch, and telling a tap from a drag. No drawing and
//! no DOM here, so it is easy to follow and to test.

use super::draw::Window;

/// The narrowest window, ns: one microsecond across the plot.
pub const MIN_SPAN: f64 = 1_000.0;

/// `w` moved back inside `[0, full]`, keeping its width where it can.
pub fn clamp(w: Window, full: f64) -> Window {
    let full = full.max(MIN_SPAN);
    let span = (w.to - w.from).clamp(MIN_SPAN, full);
    let from = w.from.clamp(0.0, full - span);
    Window {
        from,
        to: from + span,
    }
}

/// Zooms by `factor` (< 1 zooms in) around `at`, a fraction of the plot's width.
pub fn zoom(w: Window, factor: f64, at: f64, full: f64) -> Window {
    let span = w.to - w.from;
    let pivot = w.from + span * at.clamp(0.0, 1.0);
    let new_span = (span * factor).clamp(MIN_SPAN, full.max(MIN_SPAN));
    clamp(
        Window {
            from: pivot - new_span * at,
            to: pivot - new_span * at + new_span,
        },
        full,
    )
}

/// Pans by `by`, a fraction of the window's width (negative: left).
pub fn pan(w: Window, by: f64, full: f64) -> Window {
    let span = w.to - w.from;
    clamp(
        Window {
            from: w.from + span * by,
            to: w.to + span * by,
        },
        full,
    )
}

/// A pointer gesture on the plot: drag to pan, two fingers to pinch, a tap
/// (pressed and released without moving) to place the playhead.
#[derive(Debug, Clone, Default)]
pub struct Gesture {
    /// Pointers down: (id, x).
    pointers: Vec<(i32, f64)>,
    /// Where the gesture started: the first pointer's x and the window then.
    start: Option<(f64, Window)>,
    /// A pinch: the fingers' distance, the window, the centre's fraction of the plot.
    pinch: Option<(f64, Window, f64)>,
    /// Whether the pointer moved far enough to be a drag, not a tap.
    moved: bool,
}

/// What a pointer event means for the view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Effect {
    /// Nothing (yet).
    None,
    /// Show this window.
    View(Window),
    /// A tap at this x (plot px from the left edge of the plot).
    Tap(f64),
}

impl Gesture {
    /// A pointer went down at `x` (plot px) while `w` was shown.
    pub fn down(&mut self, id: i32, x: f64, w: Window, plot_w: f64) {
        self.pointers.retain(|p| p.0 != id);
        self.pointers.push((id, x));
        match self.pointers.len() {
            1 => {
                self.start = Some((x, w));
                self.moved = false;
            }
            2 => {
                let (a, b) = (self.pointers[0].1, self.pointers[1].1);
                self.pinch = Some((
                    (a - b).abs().max(1.0),
                    w,
                    ((a + b) / 2.0 / plot_w).clamp(0.0, 1.0),
                ));
                self.moved = true;
            }
            _ => {}
        }
    }

    /// A pointer moved to `x`; `full` is the whole run's extent.
    pub fn moved(&mut self, id: i32, x: f64, plot_w: f64, full: f64) -> Effect {
        if let Some(p) = self.pointers.iter_mut().find(|p| p.0 == id) {
            p.1 = x;
        } else {
            return Effect::None;
        }
        if let (Some((d0, w0, at)), 2) = (self.pinch, self.pointers.len()) {
            let d = (self.pointers[0].1 - self.pointers[1].1).abs().max(1.0);
            return Effect::View(zoom(w0, d0 / d, at, full));
        }
        let Some((x0, w0)) = self.start else {
            return Effect::None;
        };
        if (x - x0).abs() > 4.0 {
            self.moved = true;
        }
        if !self.moved {
            return Effect::None;
        }
        let dt = (x - x0) / plot_w.max(1.0) * (w0.to - w0.from);
        Effect::View(clamp(
            Window {
                from: w0.from - dt,
                to: w0.to - dt,
            },
            full,
        ))
    }

    /// A pointer went up (or was cancelled).
    pub fn up(&mut self, id: i32) -> Effect {
        let was = self.pointers.iter().find(|p| p.0 == id).map(|p| p.1);
        self.pointers.retain(|p| p.0 != id);
        if self.pointers.len() < 2 {
            self.pinch = None;
        }
        if self.pointers.is_empty() {
            let tap = !self.moved;
            self.start = None;
            if let (true, Some(x)) = (tap, was) {
                return Effect::Tap(x);
            }
        }
        Effect::None
    }

    /// Whether a pointer is down (hover tooltips wait).
    pub fn active(&self) -> bool {
        !self.pointers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: f64 = 1e9;

    #[test]
    fn zoom_keeps_the_point_under_the_cursor() {
        let w = Window {
            from: 0.0,
            to: FULL,
        };
        let z = zoom(w, 0.5, 0.25, FULL);
        assert!((z.to - z.from - 5e8).abs() < 1.0);
        // The point at 25 % of the plot stays at 25 %.
        assert!((z.from + 0.25 * (z.to - z.from) - 2.5e8).abs() < 1.0);
        assert_eq!(
            zoom(z, 100.0, 0.5, FULL),
            Window {
                from: 0.0,
                to: FULL
            }
        );
    }

    #[test]
    fn pan_stops_at_the_ends() {
        let w = Window { from: 0.0, to: 1e8 };
        assert_eq!(pan(w, -1.0, FULL), w);
        let p = pan(w, 100.0, FULL);
        assert_eq!(p.to, FULL);
    }

    #[test]
    fn a_tap_is_not_a_drag_and_a_pinch_zooms() {
        let w = Window {
            from: 0.0,
            to: FULL,
        };
        let mut g = Gesture::default();
        g.down(1, 100.0, w, 800.0);
        assert_eq!(g.moved(1, 102.0, 800.0, FULL), Effect::None);
        assert_eq!(g.up(1), Effect::Tap(102.0));
        g.down(1, 100.0, w, 800.0);
        assert!(matches!(g.moved(1, 300.0, 800.0, FULL), Effect::View(_)));
        assert_eq!(g.up(1), Effect::None);
        let z = Window { from: 2e8, to: 6e8 };
        g.down(1, 300.0, z, 800.0);
        g.down(2, 500.0, z, 800.0);
        match g.moved(2, 700.0, 800.0, FULL) {
            Effect::View(v) => assert!(v.to - v.from < 4e8, "spreading the fingers zooms in"),
            other => panic!("{other:?}"),
        }
    }
}
