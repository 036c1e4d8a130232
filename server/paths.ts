/**
 * Where the server finds the files it ships with. This module lies one directory below the project root, both as
 * source (server/paths.ts) and compiled into dist/ (see the build script), so the same relative URLs hold in both.
 */
import { fileURLToPath } from 'node:url';

const root = new URL('..', import.meta.url);

export const MIGRATIONS_DIR = fileURLToPath(new URL('drizzle', root));
export const WEB_ROOT = fileURLToPath(new URL('web/build', root));
export const PACKAGE_JSON = fileURLToPath(new URL('package.json', root));
/** An empty PGlite database made at build time (tools/make-pglite-template.ts), so that a first start skips initdb. */
export const PGLITE_TEMPLATE = fileURLToPath(new URL('dist/pglite-template.tar.gz', root));
