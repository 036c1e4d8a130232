import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [sveltekit()],
  // The app imports the format and API schemas from ../shared.
  server: { fs: { allow: ['..'] } },
  // `npm start` builds first: a new user should see where to open Coffer, not the bundler's report. Warnings and
  // errors go to stderr and still show; SvelteKit's own notes and its service-worker build's report go to stdout,
  // which `npm run build:web` discards.
  logLevel: 'warn',
  build: { rolldownOptions: { checks: { pluginTimings: false } } },
});
