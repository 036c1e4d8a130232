/**
 * Who is here, and whether the account is unlocked. The master key lives only in this object's memory: a reload, the
 * idle timer or signing out forgets it, and unlocking again takes the passkey (or the passphrase).
 */
import { api, ApiRequestError } from './api.ts';
import type { AccountBundle, UnlockedAccount } from './auth/account-client.ts';
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
    this.account = account;
    this.bundle = account.bundle;
    this.status = 'unlocked';
    this.touch();
  }

  /** Forgets the master key and empties the shared inbox (plaintext on this device); the session stays. */
  lock(): void {
    this.account = null;
    clearSharedFiles().catch((error: unknown) => console.warn('The shared inbox was not emptied:', error));
    if (this.status === 'unlocked') this.status = 'locked';
    clearTimeout(this.#timer);
  }

  signedOut(): void {
    this.lock();
    this.bundle = null;
    this.status = 'signed-out';
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
