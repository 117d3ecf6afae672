//! The worker's entry point. Its logic lives in the library (`worker` module)
//! and its messages in the `protocol` crate; this file only starts it.

fn main() {
    nogil_playground::worker::start();
}
