import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';
import { readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** A static single-page app (immich's shape): the API server serves web/build, index.html for every app route. */
export default {
  preprocess: vitePreprocess(),
  compilerOptions: { runes: true },
  kit: {
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
    // Absolute asset paths: the same index.html answers every route, however deep.
    paths: { relative: false },
    // The package's version, not SvelteKit's default of the build's time: the same commit must build to the same bytes,
    // so that anyone can compare a build's hashes with the published ones (docs/release-hashes.json).
    version: { name: version },
    // Code shared with the server (the format, the API schemas), imported as $shared/crypto/index.ts.
    alias: { $shared: '../shared' },
    typescript: {
      config(config) {
        config.compilerOptions.allowImportingTsExtensions = true;
        config.include.push('../../shared/**/*.ts');
        return config;
      },
    },
  },
};
