import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** A static single-page app (immich's shape): the API server serves web/build, index.html for every app route. */
export default {
  preprocess: vitePreprocess(),
  compilerOptions: { runes: true },
  kit: {
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
    // Absolute asset paths: the same index.html answers every route, however deep.
    paths: { relative: false },
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
