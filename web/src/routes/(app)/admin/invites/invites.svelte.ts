/** The invites screen's state: the registration mode, the invites, and the link of the one just made. */
import type { RegistrationMode } from '$shared/api/admin-schemas.ts';
import type { InviteRecord, NewInviteResponse } from '$shared/api/responses.ts';
import { createInvite, loadInstance, loadInvites, revokeInvite, setRegistrationMode } from '$lib/admin/admin-api.ts';
import { Task } from '$lib/task.svelte.ts';

export type InviteState = 'used' | 'revoked' | 'expired' | 'open';

export function inviteState(invite: InviteRecord, now: number): InviteState {
  if (invite.usedAt) return 'used';
  if (invite.revokedAt) return 'revoked';
  return Date.parse(invite.expiresAt) <= now ? 'expired' : 'open';
}

export class InvitesAdmin {
  mode = $state<RegistrationMode | null>(null);
  invites = $state.raw<InviteRecord[]>([]);
  /** The invite just made: its link is shown this once, as the server keeps only its hash. */
  made = $state.raw<NewInviteResponse | null>(null);
  done = $state('');
  readonly task = new Task();

  load(): Promise<void> {
    return this.task.run(async () => {
      const [instance, invites] = await Promise.all([loadInstance(), loadInvites()]);
      this.mode = instance.registrationMode;
      this.invites = invites;
    });
  }

  setMode(mode: RegistrationMode): Promise<void> {
    return this.task.run(async () => {
      await setRegistrationMode(mode);
      this.mode = mode;
      this.done = 'Sign-up setting saved.';
    });
  }

  create(expiresInHours: number, quotaBytes: number | undefined): Promise<void> {
    return this.task.run(async () => {
      this.made = await createInvite({ expiresInHours, ...(quotaBytes === undefined ? {} : { quotaBytes }) });
      this.done = '';
      this.invites = await loadInvites();
    });
  }

  revoke(id: string): Promise<void> {
    return this.task.run(async () => {
      await revokeInvite(id);
      this.done = 'Invite revoked: its link no longer signs anyone up.';
      this.invites = await loadInvites();
    });
  }
}
