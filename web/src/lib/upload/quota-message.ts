/**
 * The quota refusal said in the app's own units: the server's message names its limit in binary units, while the
 * dashboard and the admin's quota use decimal ones, so the numbers are taken from GET /api/usage and said here.
 */
import type { UsageResponse } from '$shared/api/responses.ts';
import { api, type ApiRequestError } from '../api.ts';
import { formatBytes } from '../format.ts';

export async function quotaMessage(fileBytes: number, refusal: ApiRequestError): Promise<string> {
  const fallback = `Not enough space: ${refusal.message}.`;
  const usage = await api<UsageResponse>('GET', '/api/usage').catch(() => null);
  if (!usage) return fallback;
  return (
    `Not enough space: this file is ${formatBytes(fileBytes)}, and ${formatBytes(usage.usedBytes)} of your ` +
    `${formatBytes(usage.quotaBytes)} quota is in use. Empty the trash or ask an admin of this Coffer for a larger quota.`
  );
}
