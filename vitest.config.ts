import { svelte } from '@sveltejs/vite-plugin-svelte';
import { playwright } from '@vitest/browser-playwright';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './tools/harness/chromium.ts';

/** The web app's modules import the shared code as $shared, as SvelteKit resolves it (web/svelte.config.js). */
const resolve = { alias: { $shared: fileURLToPath(new URL('./shared', import.meta.url)) } };

export default defineConfig({
  test: {
    projects: [
      {
        resolve,
        // The web app's state classes (*.svelte.ts) use runes, which only the Svelte compiler turns into code.
        plugins: [svelte({ configFile: false, compilerOptions: { runes: true } })],
        test: {
          name: 'node',
          include: ['tests/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          // Starting PGlite (Postgres in WebAssembly) takes seconds, and over 10 on a busy two-core machine.
          hookTimeout: 60_000,
        },
      },
      // The crypto tests run twice, in Node and in headless Chromium, against the same code and vectors; so do the tests
      // of the upload's file reader, which stands on the browser's Blob streams.
      {
        test: {
          name: 'chromium',
          include: ['tests/crypto/**/*.test.ts', 'tests/web/sequential-file-reader.test.ts'],
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({ launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
