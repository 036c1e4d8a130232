import { holdOpenedCard } from '$lib/contacts/pending-card.ts';
import type { PageLoad } from './$types';

/**
 * Runs before the (app) guard can send a locked or signed-out visitor away: the card's fragment is kept for after the
 * unlock. Only when this address is the one the browser opened; a card followed inside the app is read by the page.
 */
export const load: PageLoad = ({ params, url }) => {
  if (location.pathname === url.pathname) holdOpenedCard(params.handle);
  return { handle: params.handle };
};
