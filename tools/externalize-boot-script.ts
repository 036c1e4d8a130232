/**
 * SvelteKit's static fallback page starts the app with an inline <script>, which Coffer's Content-Security-Policy
 * (script-src 'self', no inline script: threat model row 11) refuses. This moves that script, unchanged, into a file
 * beside the page and loads it with <script src>: a classic script, so document.currentScript still works.
 * Usage: tsx tools/externalize-boot-script.ts web/build/index.html
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const page = process.argv[2];
if (!page) {
  console.error('usage: externalize-boot-script <index.html>');
  process.exit(2);
}
const html = readFileSync(page, 'utf8');
const inline = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)];
if (inline.length !== 1) {
  console.error(`externalize-boot-script: expected one inline script in ${page}, found ${inline.length}`);
  process.exit(1);
}
const [whole, body] = inline[0]! as unknown as [string, string];
const name = `boot.${createHash('sha256').update(body).digest('hex').slice(0, 12)}.js`;
writeFileSync(join(dirname(page), '_app', name), body.trim() + '\n');
writeFileSync(page, html.replace(whole, `<script src="/_app/${name}"></script>`));
