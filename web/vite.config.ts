import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [sveltekit()],
  // The app imports the format and API schemas from ../shared.
  server: { fs: { allow: ['..'] } },
});
