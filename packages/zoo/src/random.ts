/** The seeded generator lives in `@antler/core`; re-exported here so `import { createRandom } from '@antler/zoo'` keeps working. */
export { createRandom, type Random } from '@antler/core';
