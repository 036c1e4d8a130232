/**
 * Part of `npm run build`: makes the empty PGlite database a first start copies (server/db/database.ts), with the
 * installed PGlite and the server's settings, so that initdb's memory is spent once here rather than by the server.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLITE_SETTINGS } from '../server/db/database.ts';
import { PGLITE_TEMPLATE } from '../server/paths.ts';

const database = new PGlite({
  startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS],
  initDbStartParams: PGLITE_SETTINGS,
});
await database.waitReady;
const tarball = await database.dumpDataDir('gzip');
await database.close();
mkdirSync(dirname(PGLITE_TEMPLATE), { recursive: true });
writeFileSync(PGLITE_TEMPLATE, new Uint8Array(await tarball.arrayBuffer()));
