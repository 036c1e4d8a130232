/** The accounts screen's state: the instance's counts, its accounts, and what an admin does to one of them. */
import type { AdminUserRecord, InstanceResponse } from '$shared/api/responses.ts';
import {
  deleteUser,
  disableUser,
  enableUser,
  endUserSessions,
  loadInstance,
  loadUsers,
  setDefaultQuota,
  setQuota,
} from '$lib/admin/admin-api.ts';
import type { AdminGuard } from '$lib/admin/admin-guard.svelte.ts';
import { Task } from '$lib/task.svelte.ts';

/** An action waiting for the admin's confirmation, on one account. */
export type Pending =
  | { kind: 'quota'; user: AdminUserRecord }
  | { kind: 'disable'; user: AdminUserRecord }
  | { kind: 'end-sessions'; user: AdminUserRecord }
  | { kind: 'delete'; user: AdminUserRecord }
  | { kind: 'default-quota' };

export class AccountsAdmin {
  instance = $state.raw<InstanceResponse | null>(null);
  users = $state.raw<AdminUserRecord[]>([]);
  pending = $state.raw<Pending | null>(null);
  /** What the last action did, said once. */
  done = $state('');
  /** While the server waits for the admin's passkey check before a deletion. */
  askingForPasskey = $state(false);
  readonly task = new Task();

  /** The guard's answer is the first instance counts shown: the screen asks the server for them once, not twice. */
  constructor(guard: AdminGuard) {
    this.instance = guard.takeInstance();
  }

  load(): Promise<void> {
    return this.task.run(async () => {
      if (this.instance) this.users = await loadUsers();
      else await this.#reload();
    });
  }

  async #reload(): Promise<void> {
    const [instance, users] = await Promise.all([loadInstance(), loadUsers()]);
    this.instance = instance;
    this.users = users;
  }

  /** Runs a confirmed action from a dialog, whose own Task reports its failure; the lists are reloaded after. */
  async act(work: () => Promise<string>): Promise<void> {
    this.done = await work();
    this.pending = null;
    await this.#reload();
  }

  setQuota = (user: AdminUserRecord, bytes: number) =>
    this.act(async () => {
      await setQuota(user.id, bytes);
      return `Quota of ${user.id} set.`;
    });

  setDefaultQuota = (bytes: number) =>
    this.act(async () => {
      await setDefaultQuota(bytes);
      return 'Default quota set for accounts made from now on.';
    });

  disable = (user: AdminUserRecord) =>
    this.act(async () => {
      const { endedSessions } = await disableUser(user.id);
      return `Account ${user.id} disabled; ${endedSessions} session(s) ended.`;
    });

  enable = (user: AdminUserRecord) =>
    this.task.run(() =>
      this.act(async () => {
        await enableUser(user.id);
        return `Account ${user.id} enabled; it can sign in again.`;
      }),
    );

  endSessions = (user: AdminUserRecord) =>
    this.act(async () => {
      const { endedSessions } = await endUserSessions(user.id);
      return `${endedSessions} session(s) of ${user.id} ended.`;
    });

  delete = (user: AdminUserRecord, typed: string) =>
    this.act(async () => {
      try {
        await deleteUser(user.id, typed.trim(), () => (this.askingForPasskey = true));
      } finally {
        this.askingForPasskey = false;
      }
      return `Account ${user.id} deleted, with every file and every row of it.`;
    });
}
