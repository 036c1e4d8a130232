/**
 * Subresource integrity for a built page: every <script src> and every <link rel="stylesheet|modulepreload"> gets the
 * sha384 of the file it names, so the browser refuses a changed copy whatever serves it. Scripts the app imports later
 * (route chunks, workers) are out of SRI's reach; the service worker serves only copies that match its pinned hashes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const TAG = /<(script|link)\b[^>]*>/g;
const ATTRIBUTE = (name: string) => new RegExp(`\\s${name}="([^"]*)"`);

/** The page with an integrity attribute on each tag that loads code or style; throws on a tag it cannot pin. */
export function withSubresourceIntegrity(html: string, buildDir: string): string {
  return html.replace(TAG, (tag: string, element: string) => {
    const rel = ATTRIBUTE('rel').exec(tag)?.[1];
    if (element === 'link' && rel !== 'stylesheet' && rel !== 'modulepreload') return tag;
    const url = ATTRIBUTE(element === 'script' ? 'src' : 'href').exec(tag)?.[1];
    if (element === 'script' && url === undefined) {
      throw new Error(`an inline script, which Coffer's CSP refuses: ${tag}`);
    }
    if (!url?.startsWith('/') || url.startsWith('//')) {
      throw new Error(`expected a path on this origin in ${tag}, got ${url ?? 'none'}`);
    }
    if (ATTRIBUTE('integrity').test(tag)) throw new Error(`the tag already has an integrity attribute: ${tag}`);
    const digest = createHash('sha384')
      .update(readFileSync(join(buildDir, url)))
      .digest('base64');
    return tag.replace(/\s*\/?>$/, (end) => ` integrity="sha384-${digest}"${end}`);
  });
}
