/**
 * The one guard of the administration: it asks the server for the instance's counts, and the server's access policy
 * decides. A non-admin is spared a page of refusals and told why; every request behind it is still checked on its own.
 */
import { createContext } from 'svelte';
import type { InstanceResponse } from '$shared/api/responses.ts';
import { ApiRequestError } from '$lib/api.ts';
import { describeError } from '$lib/errors.ts';
import { loadInstance } from './admin-api.ts';

export class AdminGuard {
  access = $state<'asking' | 'admin' | 'refused'>('asking');
  error = $state('');
  /** The counts the check loaded, until the first screen that shows them takes them. */
  #instance: InstanceResponse | null = null;

  async check(): Promise<void> {
    try {
      this.#instance = await loadInstance();
      this.access = 'admin';
    } catch (caught) {
      if (caught instanceof ApiRequestError && caught.code === 'ADMIN_REQUIRED') this.access = 'refused';
      else this.error = describeError(caught);
    }
  }

  /** The counts as the check found them, once: they age, so a later visit of the screen asks again. */
  takeInstance(): InstanceResponse | null {
    const instance = this.#instance;
    this.#instance = null;
    return instance;
  }
}

/** The layout's guard, for the screens behind it. */
export const [adminGuard, provideAdminGuard] = createContext<AdminGuard>();
