/**
 * What the auth routes accept. The account's keys arrive only wrapped (Fernet tokens, docs/FORMAT.md section 4); the
 * server checks their shape, never their content, which it cannot read.
 */
import { z } from 'zod';
import {
  ARGON2ID_BOUNDS,
  MAX_PASSPHRASE_ITERATIONS,
  MIN_PASSPHRASE_ITERATIONS,
  PASSPHRASE_SALT_BYTES,
} from '../crypto/passphrase-kdf.ts';
import { decodeBase64url } from '../crypto/base64url.ts';
import { inviteTokenSchema } from './admin-schemas.ts';
import { encryptedMetadataSchema, wrappedKeySchema } from './schemas.ts';

const bytesOf = (length: number) =>
  z.string().refine((text) => {
    try {
      return decodeBase64url(text).length === length;
    } catch {
      return false;
    }
  }, `must be base64url of ${length} bytes`);

const base64urlText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url');

/** Browsers' JSON form of a WebAuthn credential; @simplewebauthn/server checks the rest. */
const credentialResponse = z.looseObject({
  id: base64urlText(1366),
  rawId: base64urlText(1366),
  type: z.literal('public-key'),
  response: z.looseObject({ clientDataJSON: base64urlText(8192) }),
  clientExtensionResults: z.looseObject({}),
});

export const registrationResponseSchema = credentialResponse.extend({
  response: z.looseObject({
    clientDataJSON: base64urlText(8192),
    attestationObject: base64urlText(65536),
    transports: z.array(z.string().max(32)).max(8).optional(),
  }),
});

export const authenticationResponseSchema = credentialResponse.extend({
  response: z.looseObject({
    clientDataJSON: base64urlText(8192),
    authenticatorData: base64urlText(8192),
    signature: base64urlText(1024),
    userHandle: base64urlText(128).optional(),
  }),
});

export const prfWrapSchema = z.strictObject({
  /** HKDF salt for this credential's PRF output. */
  salt: bytesOf(32),
  wrapped: wrappedKeySchema,
});

const whole = ({ min, max }: { min: number; max: number }) => z.number().int().min(min).max(max);

/**
 * The passphrase wrap in either form, with the bounds the client enforces (shared/crypto/passphrase-kdf.ts), so that
 * the server stores no wrap a client would refuse to use. Only Argon2id wraps are made now; PBKDF2 ones are accepted
 * for clients that have not yet re-wrapped.
 */
export const passphraseWrapSchema = z.discriminatedUnion('kdf', [
  z
    .strictObject({
      kdf: z.literal('Argon2id'),
      memoryKiB: whole(ARGON2ID_BOUNDS.memoryKiB),
      passes: whole(ARGON2ID_BOUNDS.passes),
      parallelism: whole(ARGON2ID_BOUNDS.parallelism),
      salt: bytesOf(PASSPHRASE_SALT_BYTES),
      wrapped: wrappedKeySchema,
    })
    .refine(
      (wrap) => {
        const work = wrap.memoryKiB * wrap.passes;
        return work >= ARGON2ID_BOUNDS.work.min && work <= ARGON2ID_BOUNDS.work.max;
      },
      {
        message: `memoryKiB × passes must be ${ARGON2ID_BOUNDS.work.min} to ${ARGON2ID_BOUNDS.work.max}`,
        path: ['passes'],
      },
    ),
  z.strictObject({
    kdf: z.literal('PBKDF2-SHA256'),
    iterations: whole({ min: MIN_PASSPHRASE_ITERATIONS, max: MAX_PASSPHRASE_ITERATIONS }),
    salt: bytesOf(PASSPHRASE_SALT_BYTES),
    wrapped: wrappedKeySchema,
  }),
]);

export const recoveryWrapSchema = z.strictObject({
  salt: bytesOf(32),
  wrapped: wrappedKeySchema,
});

/**
 * The account's key set (docs/FORMAT.md section 4.8): its statement and signature. The server reads only its account
 * and version; the devices check the rest.
 */
export const keySetSchema = z.strictObject({ statement: base64urlText(16384), signature: bytesOf(64) });

/** A P-256 public key in SubjectPublicKeyInfo form (91 bytes). */
const publicKeySchema = bytesOf(91);

export const signUpSchema = z
  .strictObject({
    response: registrationResponseSchema,
    /** The master key wrapped by this passkey's PRF output, when the authenticator has PRF. */
    prfWrap: prfWrapSchema.optional(),
    /** The master key wrapped by a passphrase: required when there is no PRF wrap. */
    passphraseWrap: passphraseWrapSchema.optional(),
    recoveryWrap: recoveryWrapSchema,
    /** A key derived from the recovery key, whose hash the server keeps to recognise it later. */
    recoveryVerifier: bytesOf(32),
    publicKeys: z.strictObject({ sharing: publicKeySchema, signing: publicKeySchema }),
    /** The private halves, wrapped by the master key. */
    privateKeys: z.strictObject({ sharing: wrappedKeySchema, signing: wrappedKeySchema }),
    encryptedLabel: encryptedMetadataSchema.optional(),
    /** The token of an invite link, which an invite-only instance requires. */
    inviteToken: inviteTokenSchema.optional(),
    /** The account's key set, version 1. */
    keySet: keySetSchema.optional(),
  })
  .refine((request) => request.prfWrap || request.passphraseWrap, {
    message: 'an account needs a PRF wrap or a passphrase wrap of its master key, or it could never be unlocked',
    path: ['passphraseWrap'],
  });

export const signInSchema = z.strictObject({ response: authenticationResponseSchema });

export const recoverSchema = z.strictObject({ recoveryVerifier: bytesOf(32) });

/** Every change to the ways into an account carries the account's next key set, once it has one. */
const nextKeySet = { keySet: keySetSchema.optional() };

export const addPasskeySchema = z.strictObject({
  response: registrationResponseSchema,
  prfWrap: prfWrapSchema.optional(),
  encryptedLabel: encryptedMetadataSchema.optional(),
  ...nextKeySet,
});

export const removePasskeySchema = z.strictObject(nextKeySet);

export const renamePasskeySchema = z.strictObject({ encryptedLabel: encryptedMetadataSchema });

export const passphraseSchema = z.strictObject({ passphraseWrap: passphraseWrapSchema, ...nextKeySet });

/** A step-up: an assertion with user verification, answering a challenge issued to this session. */
export const stepUpSchema = z.strictObject({ response: authenticationResponseSchema });

/** A new recovery code, replacing the old: the master key wrapped under it, and its verifier. */
export const newRecoveryCodeSchema = z.strictObject({
  recoveryWrap: recoveryWrapSchema,
  recoveryVerifier: bytesOf(32),
  ...nextKeySet,
});

export type SignUpRequest = z.infer<typeof signUpSchema>;
export type AddPasskeyRequest = z.infer<typeof addPasskeySchema>;
export type NewRecoveryCode = z.infer<typeof newRecoveryCodeSchema>;
export type RemovePasskeyRequest = z.infer<typeof removePasskeySchema>;
export type PassphraseRequest = z.infer<typeof passphraseSchema>;
export type PassphraseWrap = z.infer<typeof passphraseWrapSchema>;
export type StepUpRequest = z.infer<typeof stepUpSchema>;
export type SignInRequest = z.infer<typeof signInSchema>;
