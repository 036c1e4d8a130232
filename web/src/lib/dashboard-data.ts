/**
 * What the dashboard shows: space used, the latest files (opened as every listing is), what the account has shared
 * (opened the same way), the latest security events.
 */
import type { OutgoingSharesResponse, SecurityEventsResponse, UsageResponse } from '$shared/api/responses.ts';
import { api } from './api.ts';
import { listRecent, type Opened } from './files/folder-listing.ts';
import type { KeyRing } from './files/key-ring.ts';
import { sharedItems, type SharedItem } from './shares/shared-items.ts';

const RECENT_FILES = 8;
const SECURITY_EVENTS = 5;

export interface DashboardData {
  usage: UsageResponse;
  recent: Opened;
  shared: { items: SharedItem[]; refused: number };
  events: SecurityEventsResponse['events'];
}

export async function loadDashboard(ring: KeyRing, ownerId: string): Promise<DashboardData> {
  const [usage, recent, shared, log] = await Promise.all([
    api<UsageResponse>('GET', '/api/usage'),
    listRecent(ring, RECENT_FILES),
    loadSharedByMe(ring, ownerId),
    api<SecurityEventsResponse>('GET', `/api/account/security-events?limit=${SECURITY_EVENTS}`),
  ]);
  return { usage, recent, shared, events: log.events };
}

async function loadSharedByMe(ring: KeyRing, ownerId: string): Promise<DashboardData['shared']> {
  const { shares, nodes, ancestors } = await api<OutgoingSharesResponse>('GET', '/api/shares/outgoing');
  const { opened } = await ring.openScattered(nodes, ancestors);
  return sharedItems(shares, opened, ownerId);
}
