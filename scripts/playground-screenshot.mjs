#!/usr/bin/env node
// Screenshots a page (a file path or a URL) in headless Chromium, for the images under docs/.
// Fails when the page logs a console error. Usage:
//   node scripts/playground-screenshot.mjs <file-or-url> <out.png> [width=1240] [height=1000]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium } from './playground-chromium.mjs';

const [target, png, width = '1240', height = '1000'] = process.argv.slice(2);
if (!target || !png) {
  console.error('usage: node scripts/playground-screenshot.mjs <file-or-url> <out.png> [width] [height]');
  process.exit(2);
}
const url = /^[a-z]+:\/\//.test(target) ? target : pathToFileURL(resolve(target)).href;
const browser = await launchChromium();
try {
  await browser.page.setViewportSize({ width: Number(width), height: Number(height) });
  await browser.page.goto(url);
  await browser.page.screenshot({ path: png });
} finally {
  await browser.close();
}
if (browser.errors.length) {
  console.error(browser.errors.join('\n'));
  process.exit(1);
}
console.log(`wrote ${png}`);
