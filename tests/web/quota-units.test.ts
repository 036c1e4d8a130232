/** Quotas typed by an admin: a number and a decimal unit, the units the app shows sizes in; anything else is named. */
import { describe, expect, it } from 'vitest';
import { quotaBytes } from '../../web/src/lib/admin/quota-units.ts';
import { formatBytes } from '../../web/src/lib/format.ts';

describe('quota units', () => {
  it('turns a number and a unit into bytes, shown back as typed', () => {
    expect(quotaBytes('1', 'MB')).toBe(1_000_000);
    expect(quotaBytes('2.5', 'GB')).toBe(2_500_000_000);
    expect(quotaBytes(' 0 ', 'TB')).toBe(0);
    expect(formatBytes(quotaBytes('1', 'MB') as number)).toBe('1.0 MB');
  });

  it('says what is wrong with anything that is not a quota', () => {
    expect(quotaBytes('', 'GB')).toBe('the quota must be a number from 0, got ""');
    expect(quotaBytes('-1', 'GB')).toBe('the quota must be a number from 0, got "-1"');
    expect(quotaBytes('ten', 'MB')).toBe('the quota must be a number from 0, got "ten"');
    expect(quotaBytes('1e9', 'TB')).toBe('that quota is larger than any disk');
  });
});
