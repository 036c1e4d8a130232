import type { ServerDeps } from '../deps.ts';

/** When an upload that sees no activity from now on is given up. */
export function uploadExpiry({ now, limits }: Pick<ServerDeps, 'now' | 'limits'>): Date {
  return new Date(now().getTime() + limits.uploadIdleMs);
}
