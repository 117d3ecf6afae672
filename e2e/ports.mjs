// The four servers the end-to-end tests use, on ports 8181–8184 by default.
// E2E_PORT_BASE moves all four (e.g. E2E_PORT_BASE=9281 when something else
// holds 8181): the config and the tests read the addresses from here.
const base = Number(process.env.E2E_PORT_BASE || 8181);

export const PORTS = { isolated: base, plain: base + 1, examples: base + 2, subpath: base + 3 };

/** The playground with COOP/COEP (cross-origin isolated). */
export const ISOLATED = `http://127.0.0.1:${PORTS.isolated}/`;
/** The playground without them, like a plain static host or a cross-origin iframe. */
export const PLAIN = `http://127.0.0.1:${PORTS.plain}/`;
/** examples/ on another origin (the tutorial page that embeds the playground). */
export const EXAMPLES = `http://127.0.0.1:${PORTS.examples}/`;
/** The playground under a sub-path of a static host. */
export const SUBPATH = `http://127.0.0.1:${PORTS.subpath}/playground/`;
