/**
 * Debian's Chromium as the tests and the screenshot script start it: headless, and
 * quiet on a machine with no network beyond 127.0.0.1 (test tools' own browser
 * downloads do not work there).
 */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
