/**
 * Stops the process on SIGTERM or SIGINT without cutting requests short: it stops accepting connections at once
 * (a load balancer's next try goes to another process), lets requests in flight finish up to a deadline, then cuts
 * off what is left, closes the database and blob store, and exits 0, since stopping when asked is no failure.
 */
import type { Server } from 'node:http';
import type { Logger } from 'pino';

export interface ShutdownOptions {
  server: Server;
  timeoutMs: number;
  /** Closes what the process holds open, once no request uses it any more. */
  closeResources: () => Promise<unknown>;
  logger: Logger;
}

export function shutDownOnSignals({ server, timeoutMs, closeResources, logger }: ShutdownOptions): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal (Ctrl-C pressed again, a supervisor's repeat) must not start a second shutdown.
    if (stopping) return;
    stopping = true;
    logger.info({ signal, timeoutMs }, 'shutting down: no new connections, waiting for requests in flight');
    let cutOff = false;
    const deadline = setTimeout(() => {
      cutOff = true;
      logger.warn({ timeoutMs }, 'shutdown deadline passed: closing the connections still open');
      server.closeAllConnections();
    }, timeoutMs);
    // close() refuses new connections at once and calls back when the open ones have ended; since Node 19 it also
    // ends the idle keep-alive ones, which would otherwise hold the shutdown until their client let go.
    server.close(() => {
      clearTimeout(deadline);
      void closeResources()
        .catch((error: unknown) => logger.error({ err: error }, 'closing the database or blob store failed'))
        .finally(() => {
          logger.info({ cutOff }, 'stopped');
          process.exit(0);
        });
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
