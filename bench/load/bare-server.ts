/**
 * The load benchmark's ceiling: a bare node:http server, no framework, no database, no disk, answering the three
 * requests of the loop with what Coffer would answer. A listing is the real listing Coffer gave for a seeded folder
 * (its path given as the first argument); an upload's body is parsed as Coffer parses it and its bytes kept in
 * memory; a download answers them back. What the load generator and the loopback cost on this machine shows here.
 * Run as its own process (two of them, like Coffer), printing the URL it listens on as Coffer does.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';

const listing = readFileSync(process.argv[2]!);
const stored = new Map<string, Buffer>();

function answer(response: ServerResponse, status: number, body: Buffer | string, type = 'application/json') {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

const server = createServer((request, response) => {
  const url = request.url!;
  if (request.method === 'GET' && url.endsWith('/children')) return answer(response, 200, listing);
  if (request.method === 'GET' && url.startsWith('/api/revisions/')) {
    const bytes = stored.get(url.split('/')[3]!);
    return bytes ? answer(response, 200, bytes, 'application/octet-stream') : answer(response, 404, '{}');
  }
  const pieces: Buffer[] = [];
  request.on('data', (piece: Buffer) => pieces.push(piece));
  request.on('end', () => {
    const { files } = JSON.parse(Buffer.concat(pieces).toString()) as {
      files: { nodeId: string; header: string; chunk: string }[];
    };
    const results = files.map((file) => {
      const revisionId = randomUUID();
      stored.set(
        revisionId,
        Buffer.concat([Buffer.from(file.header, 'base64url'), Buffer.from(file.chunk, 'base64url')]),
      );
      return { nodeId: file.nodeId, status: 201, revisionId, revision: 1 };
    });
    answer(response, 200, JSON.stringify({ files: results }));
  });
});
server.listen(0, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as { port: number }).port}`);
});
