/**
 * The administration's requests (docs/API.md, "Administration"): what the admin screens load and change. The server's
 * access policy decides who may; these only ask.
 */
import type { AdminAuditQuery, NewInvite, RegistrationMode } from '$shared/api/admin-schemas.ts';
import type {
  AdminBackupsResponse,
  AdminUsersResponse,
  EndedSessionsResponse,
  InstanceResponse,
  InvitesResponse,
  NewInviteResponse,
  SecurityEventsResponse,
} from '$shared/api/responses.ts';
import { api } from '../api.ts';
import { withStepUp } from '../auth/account-client.ts';

const user = (id: string) => `/api/admin/users/${encodeURIComponent(id)}`;

export const loadInstance = () => api<InstanceResponse>('GET', '/api/admin/instance');
export const loadUsers = async () => (await api<AdminUsersResponse>('GET', '/api/admin/users')).users;
export const setQuota = (id: string, quotaBytes: number) => api('PUT', `${user(id)}/quota`, { quotaBytes });
export const setDefaultQuota = (quotaBytes: number) => api('PUT', '/api/admin/default-quota', { quotaBytes });
export const disableUser = (id: string) => api<EndedSessionsResponse>('POST', `${user(id)}/disable`);
export const enableUser = (id: string) => api('POST', `${user(id)}/enable`);
export const endUserSessions = (id: string) => api<EndedSessionsResponse>('DELETE', `${user(id)}/sessions`);

/**
 * Deletes the account: `confirm` is the id the admin typed back, and the server wants a fresh passkey check of the
 * admin's, which `asking` announces before the prompt.
 */
export const deleteUser = (id: string, confirm: string, asking: () => void) =>
  withStepUp(() => api('DELETE', user(id), { confirm }), asking);

export const loadBackups = () => api<AdminBackupsResponse>('GET', '/api/admin/backups');

export const setRegistrationMode = (mode: RegistrationMode) => api('PUT', '/api/admin/registration', { mode });
export const loadInvites = async () => (await api<InvitesResponse>('GET', '/api/admin/invites')).invites;
export const createInvite = (invite: NewInvite) => api<NewInviteResponse>('POST', '/api/admin/invites', invite);
export const revokeInvite = (id: string) => api('DELETE', `/api/admin/invites/${encodeURIComponent(id)}`);

/** The audit routes' query string: only the filters set. */
export function auditQueryString(query: Partial<Record<keyof AdminAuditQuery, string | undefined>>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value) params.set(name, value);
  return params.toString();
}

export const loadAuditEvents = async (query: string) =>
  (await api<SecurityEventsResponse>('GET', `/api/admin/audit-events?${query}`)).events;

/** The export's address: the browser downloads it itself, with the server's file name. */
export const auditExportUrl = (query: string) => `/api/admin/audit-events/export?${query}`;
