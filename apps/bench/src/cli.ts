#!/usr/bin/env node
/** Entry point of the `antler` binary. */
import { main } from './program.js';

await main(process.argv);
