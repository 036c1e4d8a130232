/**
 * What a share's two sides do with it: the recipient accepts it (only then does it give access), declines it or later
 * removes it from its list (access ends; the owner sees it declined and may offer it again); the owner revokes it
 * (the share is deleted, and every request of the recipient's for it is refused from then on).
 */
import { eq } from 'drizzle-orm';
import type { IncomingShare } from '../../shared/api/responses.ts';
import { authorizeShare, type Actor } from '../access/policy.ts';
import { audit, type RequestOrigin } from '../auth/audit.ts';
import { shares, users } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { incomingShare } from './share-json.ts';

export async function acceptShare(
  { db, now }: ServerDeps,
  actor: Actor,
  shareId: string,
  origin: RequestOrigin,
): Promise<IncomingShare> {
  const { share } = await authorizeShare(db, actor, shareId, ['recipient']);
  const accepted =
    share.status === 'accepted'
      ? share
      : (
          await db
            .update(shares)
            .set({ status: 'accepted', acceptedAt: now() })
            .where(eq(shares.id, share.id))
            .returning()
        )[0]!;
  if (share.status !== 'accepted') {
    await audit(db, { type: 'share-accepted', userId: actor.userId, origin, at: now(), details: { shareId } });
  }
  const [sender] = await db.select({ handle: users.handle }).from(users).where(eq(users.id, share.senderId));
  return incomingShare(accepted, sender?.handle ?? null);
}

/** Declining, or removing an accepted share from one's list: the share stays, declined, for its owner to see. */
export async function declineShare(
  { db, now }: ServerDeps,
  actor: Actor,
  shareId: string,
  origin: RequestOrigin,
): Promise<void> {
  const { share } = await authorizeShare(db, actor, shareId, ['recipient']);
  if (share.status === 'declined') return;
  await db.update(shares).set({ status: 'declined', acceptedAt: null }).where(eq(shares.id, share.id));
  await audit(db, { type: 'share-declined', userId: actor.userId, origin, at: now(), details: { shareId } });
}

/** DELETE of a share: its owner revokes it; its recipient removes it from its list (declineShare). */
export async function endShare(deps: ServerDeps, actor: Actor, shareId: string, origin: RequestOrigin): Promise<void> {
  const { db, now } = deps;
  const { share, side } = await authorizeShare(db, actor, shareId, ['owner', 'recipient']);
  if (side === 'recipient') return declineShare(deps, actor, shareId, origin);
  await db.delete(shares).where(eq(shares.id, share.id));
  await audit(db, {
    type: 'share-revoked',
    userId: actor.userId,
    origin,
    at: now(),
    details: { shareId, recipientId: share.recipientId },
  });
}
