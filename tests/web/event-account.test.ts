/** The admin audit screen names who acted: a deleted admin and an event of no account are not the operator's shell. */
import { describe, expect, it } from 'vitest';
import { eventAccount } from '../../web/src/routes/(app)/admin/audit/event-account.ts';

describe('the account of an audit event', () => {
  it('names the account, a deleted admin, the operator shell, or no account', () => {
    const id = '0b0e2a52-54a1-4a8e-9d59-1f4e0c3b7a11';
    expect(eventAccount({ userId: id, details: { by: 'admin' } })).toBe(id);
    expect(eventAccount({ userId: null, details: { by: 'admin', adminId: id } })).toBe(`${id} (deleted)`);
    expect(eventAccount({ userId: null, details: { by: 'operator-shell' } })).toBe('operator shell');
    expect(eventAccount({ userId: null, details: { reason: 'unknown credential' } })).toBe('no account');
  });
});
