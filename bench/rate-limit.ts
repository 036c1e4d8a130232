/**
 * `npm run bench:rate-limit`: what the API's request rate limit, counted in the database, costs a small request. On
 * PGlite in memory and on a fresh Postgres database, rounds alternate an authenticated GET /api/usage through the whole
 * app in this process (a session lookup, the two rate limit buckets, one query), one at a time, and the limiter's two
 * bucket updates alone; the limiter's share of a request is the figure to read. Also requests per second with 8 at
 * once on one account, all drawing from the same buckets.
 * Settings: BENCH_REQUESTS (1000) requests per round, BENCH_ROUNDS (5) rounds; the median round is reported.
 */
import { createApp } from '../server/app.ts';
import { takeToken } from '../server/http/rate-limit.ts';
import { createSignedInUser } from '../tests/server/accounts.ts';
import { DATABASE_KINDS, openTestDatabase } from '../tools/harness/test-databases.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const IN_FLIGHT = 8;
const ORIGIN = 'http://localhost:8080';

// Never reached: the figure is what counting costs, not refusing.
const LIMIT = { perSecond: 1e9, burst: 1e9 };

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const rows: string[] = [];
for (const kind of DATABASE_KINDS) {
  const database = await openTestDatabase(kind);
  try {
    const app = createApp({
      db: database.db,
      blobs: undefined as never,
      webRoot: 'web/build',
      version: 'bench',
      log: () => {},
      publicOrigin: ORIGIN,
      defaultQuotaBytes: 1024 ** 3,
      rateLimit: LIMIT,
    });
    const { id, cookie } = await createSignedInUser(database.db, 1024 ** 3, new Date(Date.now() + 24 * 60 * 60 * 1000));
    const usage = async () => {
      const response = await app.request('/api/usage', { headers: { cookie, origin: ORIGIN } });
      if (response.status !== 200) throw new Error(`GET /api/usage answered ${response.status}`);
      await response.arrayBuffer();
    };
    for (let i = 0; i < 200; i++) await usage();
    const limiter = async () => {
      await takeToken(database.db, 'address:bench', LIMIT, new Date());
      await takeToken(database.db, `account:${id}`, LIMIT, new Date());
    };
    const microseconds = async (work: () => Promise<void>) => {
      const started = performance.now();
      for (let i = 0; i < REQUESTS; i++) await work();
      return ((performance.now() - started) * 1000) / REQUESTS;
    };
    const sequential: number[] = [];
    const limiting: number[] = [];
    const parallel: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      sequential.push(await microseconds(usage));
      limiting.push(await microseconds(limiter));
      const started = performance.now();
      let next = 0;
      const lane = async () => {
        while (next++ < REQUESTS) await usage();
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
      parallel.push(REQUESTS / ((performance.now() - started) / 1000));
    }
    const [request, limit] = [median(sequential), median(limiting)];
    const share = `${((limit / request) * 100).toFixed(0)} %`;
    rows.push(`| ${kind} | ${request.toFixed(0)} | ${limit.toFixed(0)} | ${share} | ${median(parallel).toFixed(0)} |`);
  } finally {
    await database.close();
  }
}
console.log(
  `| database | µs per request, one at a time | µs for its two bucket updates | their share | requests/s, ${IN_FLIGHT} at once |`,
);
console.log('| --- | --- | --- | --- | --- |');
console.log(rows.join('\n'));
