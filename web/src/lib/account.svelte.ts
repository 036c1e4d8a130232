/**
 * Who is here, and whether the account is unlocked. The master key lives only in this object's memory: a reload, the
 * idle timer or signing out forgets it, and unlocking again takes the passkey (or the passphrase).
 */
import { api, ApiRequestError, whenSessionEnds } from './api.ts';
import type { AccountBundle, UnlockedAccount } from './auth/account-client.ts';
import { keySetState } from './integrity/key-set.svelte.ts';
import { clearSharedFiles } from './pwa/shared-inbox.ts';

/** 'offline': the app shell loaded (from the service worker's cache) but the API could not be reached. */
export type AccountStatus = 'unknown' | 'offline' | 'signed-out' | 'locked' | 'unlocked';

/** Locks after this long without a click or a key press. */
export const DEFAULT_IDLE_LOCK_MS = 15 * 60 * 1000;

const IDLE_LOCK_KEY = 'coffer.idleLockMs';

function readIdleLock(): number {
  const stored = Number(globalThis.localStorage?.getItem(IDLE_LOCK_KEY));
  return Number.isFinite(stored) && stored >= 60_000 ? stored : DEFAULT_IDLE_LOCK_MS;
}

class AccountState {
  status = $state<AccountStatus>('unknown');
  account = $state.raw<UnlockedAccount | null>(null);
  /** The wrapped keys of a signed-in but locked account (for the passphrase unlock). */
  bundle = $state.raw<AccountBundle | null>(null);
  idleLockMs = $state(readIdleLock());
  /** Why the session ended while the app was in use, for the sign-in page to say; empty when the user signed out. */
  endedBecause = $state('');
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Asks the server whether this browser has a session. */
  async refresh(): Promise<void> {
    if (this.account) return;
    try {
      this.bundle = await api<AccountBundle>('GET', '/api/account');
      this.status = 'locked';
    } catch (error) {
      // fetch rejects with a TypeError when no answer came at all: offline, or the server is unreachable.
      if (error instanceof TypeError) {
        this.status = 'offline';
        return;
      }
      if (!(error instanceof ApiRequestError && error.status === 401)) throw error;
      this.status = 'signed-out';
      this.bundle = null;
    }
  }

  unlocked(account: UnlockedAccount): void {
    this.endedBecause = '';
    this.account = account;
    this.bundle = account.bundle;
    this.status = 'unlocked';
    this.touch();
    keySetState
      .verify(account)
      .catch((error: unknown) => console.warn("The account's key set was not checked:", error));
  }

  /** Forgets the master key and empties the shared inbox (plaintext on this device); the session stays. */
  lock(): void {
    this.account = null;
    keySetState.forget();
    clearSharedFiles().catch((error: unknown) => console.warn('The shared inbox was not emptied:', error));
    if (this.status === 'unlocked') this.status = 'locked';
    clearTimeout(this.#timer);
  }

  signedOut(): void {
    this.lock();
    this.bundle = null;
    this.status = 'signed-out';
  }

  /**
   * The server refused this browser's session: the app signs out and the sign-in page says why. A disabled account is
   * said to be so even on the first request after a reload; an expired session only when it was in use.
   */
  sessionEnded(error: ApiRequestError): void {
    const inUse = this.status === 'locked' || this.status === 'unlocked';
    if (error.code === 'ACCOUNT_DISABLED') this.endedBecause = `You were signed out: ${error.message}.`;
    else if (inUse) this.endedBecause = 'You were signed out: the session expired or was ended. Sign in again.';
    if (inUse) this.signedOut();
  }

  /** A preference of this browser, not a secret: kept in localStorage. */
  setIdleLock(ms: number): void {
    this.idleLockMs = ms;
    localStorage.setItem(IDLE_LOCK_KEY, String(ms));
    this.touch();
  }

  /** Activity: restarts the idle timer. */
  touch(): void {
    clearTimeout(this.#timer);
    if (this.status === 'unlocked') this.#timer = setTimeout(() => this.lock(), this.idleLockMs);
  }
}

export const accountState = new AccountState();

whenSessionEnds((error) => accountState.sessionEnded(error));
