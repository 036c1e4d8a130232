/**
 * The account's wrapped keys as stored in wrapped_keys and public_keys, and the bundle a client receives after it
 * proves itself: everything it needs to unlock the master key and, with it, the private keys. All of it is ciphertext
 * or public.
 */
import { eq } from 'drizzle-orm';
import type { PassphraseWrap as PassphraseWrapRecord, SignUpRequest } from '../../shared/api/auth-schemas.ts';
import type { AccountBundle } from '../../shared/api/responses.ts';
import { decodeBase64url, encodeBase64url } from '../../shared/crypto/index.ts';
import { accountActor, accountRows } from '../access/policy.ts';
import type { Queryable } from '../db/database.ts';
import { publicKeys, users, wrappedKeys } from '../db/schema.ts';

type WrapRow = typeof wrappedKeys.$inferInsert;

export const WRAP_PURPOSES = {
  prf: 'master-key/prf',
  passphrase: 'master-key/passphrase',
  recovery: 'master-key/recovery',
  sharingPrivate: 'private-key/sharing',
  signingPrivate: 'private-key/signing',
} as const;

type PrfWrap = NonNullable<SignUpRequest['prfWrap']>;
type PassphraseWrap = NonNullable<SignUpRequest['passphraseWrap']>;

export function prfWrapRow(userId: string, credentialId: string, wrap: PrfWrap): WrapRow {
  return {
    id: crypto.randomUUID(),
    userId,
    purpose: WRAP_PURPOSES.prf,
    credentialId,
    params: { salt: wrap.salt },
    wrapped: wrap.wrapped,
  };
}

/** The KDF's parameters (Argon2id's or, for older wraps, PBKDF2's) are kept as the client sent them, schema-checked. */
export function passphraseWrapRow(userId: string, wrap: PassphraseWrap): WrapRow {
  const { wrapped, ...params } = wrap;
  return { id: crypto.randomUUID(), userId, purpose: WRAP_PURPOSES.passphrase, params, wrapped };
}

/** Every wrapped key and public key the sign-up request brings. */
export function signUpKeyRows(userId: string, credentialId: string, request: SignUpRequest) {
  const wraps: WrapRow[] = [
    {
      id: crypto.randomUUID(),
      userId,
      purpose: WRAP_PURPOSES.recovery,
      params: { salt: request.recoveryWrap.salt },
      wrapped: request.recoveryWrap.wrapped,
    },
    { id: crypto.randomUUID(), userId, purpose: WRAP_PURPOSES.sharingPrivate, wrapped: request.privateKeys.sharing },
    { id: crypto.randomUUID(), userId, purpose: WRAP_PURPOSES.signingPrivate, wrapped: request.privateKeys.signing },
  ];
  if (request.prfWrap) wraps.push(prfWrapRow(userId, credentialId, request.prfWrap));
  if (request.passphraseWrap) wraps.push(passphraseWrapRow(userId, request.passphraseWrap));
  const published = (['sharing', 'signing'] as const).map((purpose) => ({
    id: crypto.randomUUID(),
    userId,
    purpose,
    publicKey: decodeBase64url(request.publicKeys[purpose]),
  }));
  return { wraps, published };
}

export async function accountBundle(db: Queryable, userId: string): Promise<AccountBundle> {
  const actor = accountActor({ id: userId });
  const wraps = await db.select().from(wrappedKeys).where(accountRows.wrappedKeys(actor));
  const keys = await db.select().from(publicKeys).where(accountRows.publicKeys(actor));
  const [account] = await db
    .select({ role: users.role, handle: users.handle, keySet: users.keySet })
    .from(users)
    .where(eq(users.id, userId));
  const only = (purpose: string) => wraps.find((wrap) => wrap.purpose === purpose);
  // Stored parameters were checked by the request schemas on the way in (passphraseWrapSchema, recoveryWrapSchema).
  const withParams = <T>(purpose: string) => {
    const wrap = only(purpose);
    return wrap ? ({ ...wrap.params, wrapped: wrap.wrapped } as T) : null;
  };
  return {
    userId,
    role: account?.role ?? 'user',
    handle: account?.handle ?? null,
    prfWraps: wraps
      .filter((wrap) => wrap.purpose === WRAP_PURPOSES.prf)
      .map((wrap) => ({
        credentialId: wrap.credentialId!,
        salt: wrap.params['salt'] as string,
        wrapped: wrap.wrapped,
      })),
    passphraseWrap: withParams<PassphraseWrapRecord>(WRAP_PURPOSES.passphrase),
    recoveryWrap: withParams<{ salt: string; wrapped: string }>(WRAP_PURPOSES.recovery),
    privateKeys: {
      sharing: only(WRAP_PURPOSES.sharingPrivate)?.wrapped ?? null,
      signing: only(WRAP_PURPOSES.signingPrivate)?.wrapped ?? null,
    },
    publicKeys: Object.fromEntries(keys.map((key) => [key.purpose, encodeBase64url(key.publicKey)])),
    keySet: account?.keySet ?? null,
  };
}
