/** Starts Coffer: reads the environment, builds the app, serves it. */
import { serve } from '@hono/node-server';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from './app.ts';

const DEFAULT_PORT = 8080;

function readPort(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_PORT;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    console.error(`coffer: PORT must be a whole number from 0 to 65535, got "${text}"`);
    process.exit(2);
  }
  return port;
}

const port = readPort(process.env.PORT);
const host = process.env.HOST || '127.0.0.1';
const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
// serveStatic takes a root relative to the working directory.
const webRoot = relative(process.cwd(), fileURLToPath(new URL('../web/public', import.meta.url))) || '.';
const app = createApp({ webRoot, version: packageJson.version });

const server = serve({ fetch: app.fetch, port, hostname: host }, (info) => {
  console.log(
    `Coffer ${packageJson.version} listening on http://${host === '0.0.0.0' ? 'localhost' : host}:${info.port}`,
  );
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
