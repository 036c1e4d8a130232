/** Quotas as people type them: a number and a decimal unit, the units the rest of the app shows sizes in. */
export const QUOTA_UNITS = { MB: 1000 ** 2, GB: 1000 ** 3, TB: 1000 ** 4 } as const;
export type QuotaUnit = keyof typeof QUOTA_UNITS;

/** The bytes of `amount` `unit`s, or a message saying what is wrong with it. */
export function quotaBytes(amount: string, unit: QuotaUnit): number | string {
  const value = Number(amount);
  if (amount.trim() === '' || !Number.isFinite(value) || value < 0) {
    return `the quota must be a number from 0, got ${JSON.stringify(amount)}`;
  }
  const bytes = Math.round(value * QUOTA_UNITS[unit]);
  return bytes > Number.MAX_SAFE_INTEGER ? 'that quota is larger than any disk' : bytes;
}
