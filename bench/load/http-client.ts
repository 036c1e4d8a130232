/**
 * One simulated client's HTTP connection: node:http with a keep-alive agent of one socket, bound to a loopback
 * address of its own. node:http rather than fetch because the load generator shares the two cores with the servers
 * and Postgres, and fetch wraps each request in WHATWG streams and objects that would add to its cost. Its own
 * address because the auth routes count sign-ups per client address in the database (10 an hour), and 200 users
 * behind one address is not what this measures; Linux routes all of 127.0.0.0/8 to the loopback interface, so no
 * configuration is needed.
 */
import { Agent, request } from 'node:http';

export interface Answer {
  status: number;
  body: Buffer;
  setCookies: string[];
}

export class ClientConnection {
  readonly #agent: Agent;
  readonly #cookies = new Map<string, string>();

  constructor(
    readonly base: URL,
    readonly origin: string,
    localAddress: string,
  ) {
    this.#agent = new Agent({ keepAlive: true, maxSockets: 1, localAddress });
  }

  /** Sends one request with this client's cookies and Origin, and keeps the cookies the answer sets. */
  send(method: string, path: string, body?: Buffer | string, contentType = 'application/json'): Promise<Answer> {
    const headers: Record<string, string> = { origin: this.origin };
    if (this.#cookies.size > 0) {
      headers.cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    if (body !== undefined) {
      headers['content-type'] = contentType;
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    return new Promise<Answer>((resolve, reject) => {
      const outgoing = request(
        { host: this.base.hostname, port: this.base.port, method, path, headers, agent: this.#agent },
        (response) => {
          const pieces: Buffer[] = [];
          response.on('data', (piece: Buffer) => pieces.push(piece));
          response.on('error', reject);
          response.on('end', () => {
            const setCookies = response.headers['set-cookie'] ?? [];
            for (const line of setCookies) {
              const [pair] = line.split(';');
              const split = pair!.indexOf('=');
              this.#cookies.set(pair!.slice(0, split), pair!.slice(split + 1));
            }
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(pieces), setCookies });
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  /** Sends from now on the cookies `other` holds: its session, against another server of the same database. */
  signInAs(other: ClientConnection): void {
    for (const [name, value] of other.#cookies) this.#cookies.set(name, value);
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** The ith client's loopback address: 127.0.1.1, 127.0.1.2, ... (254 to a block). */
export function loopbackAddress(index: number): string {
  return `127.0.${1 + Math.floor(index / 254)}.${1 + (index % 254)}`;
}
