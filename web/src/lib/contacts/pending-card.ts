/**
 * A contact card opened before the account was unlocked (or signed in): its handle and fingerprint wait in this tab's
 * session storage while the guard sends the visitor to unlock, and the fragment leaves the address bar at once, so it
 * is neither kept in the history nor shown over someone's shoulder. Once unlocked, the app goes back to the card.
 */
const KEY = 'coffer.contactCard';

export interface PendingCard {
  handle: string;
  fragment: string;
}

/** Keeps the card of the address being opened, when it has a fragment, and drops the fragment from the address bar. */
export function holdOpenedCard(handle: string): void {
  if (!location.hash) return;
  sessionStorage.setItem(KEY, JSON.stringify({ handle, fragment: location.hash.slice(1) } satisfies PendingCard));
  history.replaceState(history.state, '', location.pathname + location.search);
}

export function pendingCard(): PendingCard | null {
  const stored = sessionStorage.getItem(KEY);
  if (!stored) return null;
  try {
    const card = JSON.parse(stored) as Partial<PendingCard>;
    if (typeof card.handle === 'string' && typeof card.fragment === 'string') return card as PendingCard;
  } catch {
    // Not a card this app stored: dropped below.
  }
  sessionStorage.removeItem(KEY);
  return null;
}

/** The waiting card's fragment for `handle`, which is then forgotten. */
export function takeCard(handle: string): string | null {
  const card = pendingCard();
  if (!card || card.handle !== handle) return null;
  sessionStorage.removeItem(KEY);
  return card.fragment;
}
