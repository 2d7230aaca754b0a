/**
 * The Content-Security-Policy of the console page (docs/console.md). Scripts only from the
 * gateway itself, no inline script, no eval; styles from the gateway plus the `<style>`
 * elements the terminal creates at run time, which carry this response's nonce; every
 * fetch and WebSocket only to the gateway; never framed.
 */
export function consoleCsp(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    // DOM sinks (innerHTML, eval-like) refuse strings: an injection has nowhere to land.
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
}

/** Headers on every console response, the page and its assets alike. */
export function securityHeaders(nonce: string): Record<string, string> {
  return {
    'Content-Security-Policy': consoleCsp(nonce),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    // Legacy twin of frame-ancestors 'none' for browsers that predate CSP 2.
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
  };
}
