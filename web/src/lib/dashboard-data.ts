/** What the dashboard shows: space used, the latest files (opened as every listing is), the latest security events. */
import type { SecurityEventsResponse, UsageResponse } from '$shared/api/responses.ts';
import { api } from './api.ts';
import { listRecent, type Opened } from './files/folder-listing.ts';
import type { KeyRing } from './files/key-ring.ts';

const RECENT_FILES = 8;
const SECURITY_EVENTS = 5;

export interface DashboardData {
  usage: UsageResponse;
  recent: Opened;
  events: SecurityEventsResponse['events'];
}

export async function loadDashboard(ring: KeyRing): Promise<DashboardData> {
  const [usage, recent, log] = await Promise.all([
    api<UsageResponse>('GET', '/api/usage'),
    listRecent(ring, RECENT_FILES),
    api<SecurityEventsResponse>('GET', `/api/account/security-events?limit=${SECURITY_EVENTS}`),
  ]);
  return { usage, recent, events: log.events };
}
