// Launches headless Chromium through playwright-core for the HTML-report and playground checks.
// Uses the system Chromium (Debian package `chromium`; CI installs it), a fresh profile per launch, and
// flags that keep it from touching the network on its own.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

/** Where the browser is (the Debian package's path, as in CI). */
export const chromiumPath = '/usr/bin/chromium';

/** Flags every check uses. */
export const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Starts Chromium with a fresh user-data dir. Returns the persistent context, a page that records console
 * errors and page errors into `errors`, and `close()` (which also removes the profile).
 */
export async function launchChromium() {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}: install it (apt-get install -y chromium)`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'antler-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    // playwright passes the fresh profile as --user-data-dir itself.
    args: chromiumFlags,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
