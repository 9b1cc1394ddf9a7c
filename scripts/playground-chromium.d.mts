// Types of playground-chromium.mjs for the TypeScript tests that import it.
import type { BrowserContext, Page } from 'playwright-core';

/** Where the browser is (the Debian package's path, as in CI). */
export declare const chromiumPath: string;
/** Flags every check uses. */
export declare const chromiumFlags: readonly string[];

/** A headless Chromium with a fresh profile and a page that records console and page errors. */
export interface LaunchedChromium {
  readonly context: BrowserContext;
  readonly page: Page;
  /** `console: …` and `page error: …` lines, in order. */
  readonly errors: string[];
  /** Closes the browser and removes the profile. */
  close(): Promise<void>;
}

/** Starts Chromium (see playground-chromium.mjs). */
export declare function launchChromium(): Promise<LaunchedChromium>;
