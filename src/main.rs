//! The page's entry point: install the panic hook, mount the app.

fn main() {
    nogil_playground::fatal::install_panic_hook();
    // Start compiling the workers' wasm before anything else needs the thread.
    nogil_playground::pool::module::preload();
    leptos::mount::mount_to_body(nogil_playground::app::App);
}
