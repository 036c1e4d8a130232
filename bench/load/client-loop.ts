/**
 * What each simulated client does, as fast as its answers come (a closed loop, no pause): list its folder, upload a
 * small file in a one-file batch, download one of the files it uploaded in this phase and compare every byte. The
 * same loop runs against Coffer and against the bare baseline servers.
 */
import type { PooledFile } from './file-pool.ts';
import type { ClientConnection } from './http-client.ts';

export const KINDS = ['list', 'upload', 'download'] as const;
export type Kind = (typeof KINDS)[number];

export class Recorder {
  readonly latencies: Record<Kind, number[]> = { list: [], upload: [], download: [] };
  readonly errors: Record<Kind, number> = { list: 0, upload: 0, download: 0 };
  /** The first few failures, to say what went wrong. */
  readonly samples: string[] = [];
  encryptedOnDemand = 0;

  fail(kind: Kind, what: string): void {
    this.errors[kind]++;
    if (this.samples.length < 5) this.samples.push(`${kind}: ${what}`);
  }
}

export interface LoopClient {
  connection: ClientConnection;
  rootId: string;
  /** Files the listing must show. */
  listedCount: number;
  /** The next file to upload. */
  nextFile(): Promise<PooledFile>;
}

async function timed(
  recorder: Recorder,
  kind: Kind,
  send: () => Promise<{ status: number; body: Buffer }>,
  check: (body: Buffer) => string | undefined,
): Promise<void> {
  const start = performance.now();
  let answer: { status: number; body: Buffer };
  try {
    answer = await send();
  } catch (error) {
    recorder.latencies[kind].push(performance.now() - start);
    recorder.fail(kind, (error as Error).message);
    return;
  }
  recorder.latencies[kind].push(performance.now() - start);
  let problem: string | undefined;
  try {
    problem =
      answer.status >= 200 && answer.status < 300
        ? check(answer.body)
        : `${answer.status} ${answer.body.toString().slice(0, 200)}`;
  } catch (error) {
    problem = `unreadable answer: ${(error as Error).message}`;
  }
  if (problem) recorder.fail(kind, problem);
}

export async function runClient(client: LoopClient, until: number, recorder: Recorder): Promise<void> {
  const { connection } = client;
  const uploaded: { revisionId: string; ciphertext: Buffer }[] = [];
  while (performance.now() < until) {
    await timed(
      recorder,
      'list',
      () => connection.send('GET', `/api/nodes/${client.rootId}/children`),
      (body) => {
        const count = (JSON.parse(body.toString()) as { children: unknown[] }).children.length;
        return count === client.listedCount ? undefined : `listed ${count} children, not ${client.listedCount}`;
      },
    );
    const file = await client.nextFile();
    let revisionId: string | undefined;
    await timed(
      recorder,
      'upload',
      () => connection.send('POST', '/api/uploads/batch', file.body),
      (body) => {
        const [result] = (JSON.parse(body.toString()) as { files: { status: number; revisionId?: string }[] }).files;
        if (result?.status !== 201) return `the file was refused: ${JSON.stringify(result)}`;
        revisionId = result.revisionId;
        return undefined;
      },
    );
    if (revisionId) uploaded.push({ revisionId, ciphertext: file.ciphertext });
    if (uploaded.length === 0) continue;
    const wanted = uploaded[Math.floor(Math.random() * uploaded.length)]!;
    await timed(
      recorder,
      'download',
      () => connection.send('GET', `/api/revisions/${wanted.revisionId}/content`),
      (body) => (body.equals(wanted.ciphertext) ? undefined : `${body.length} bytes that are not the file uploaded`),
    );
  }
}
