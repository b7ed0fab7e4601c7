// The UI's Content-Security-Policy, shared by browser mode (HTTP header) and the Electron shell (app:// responses).

/** Nothing but the UI's own origin; images also from data: and blob: URLs; no inline scripts, no eval, no frames. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
