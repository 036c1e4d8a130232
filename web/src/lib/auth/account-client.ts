/**
 * The browser's side of passkey accounts (docs/ARCHITECTURE.md, "Accounts"): the WebAuthn ceremonies, and the
 * master key made, wrapped and unwrapped here. What leaves for the server is only ever ciphertext (Fernet tokens),
 * public keys, salts, and the recovery verifier (a one-way derivation of the recovery key). The PRF output, the
 * passphrase, the recovery key and the master key stay in this page's memory.
 */
import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/browser';
import type {
  AddPasskeyRequest,
  NewRecoveryCode,
  PassphraseRequest,
  RemovePasskeyRequest,
  SignUpRequest,
} from '$shared/api/auth-schemas.ts';
import type {
  AccountBundle,
  AddedPasskeyResponse,
  AuthenticationOptionsResponse,
  PublicRegistrationResponse,
  RegistrationOptionsResponse,
  RemovedPasskeyResponse,
  SignInResponse,
  SignUpOptionsResponse,
} from '$shared/api/responses.ts';
import {
  bytesToUuid,
  decodeBase64url,
  decryptPasskeyLabel,
  describeKeySet,
  encodeBase64url,
  encryptPasskeyLabel,
  exportPublicKey,
  formatRecoveryCode,
  generateAccountKeyPairs,
  generateMasterKey,
  generateRecoveryKey,
  isLegacyPassphraseKdf,
  newPassphraseParams,
  parseRecoveryCode,
  passphraseWrappingSecret,
  prfInput,
  prfWrappingSecret,
  recoveryVerifier,
  recoveryWrappingSecret,
  signKeySet,
  unwrapMasterKey,
  wrapMasterKey,
  wrapPrivateKey,
} from '../../../../shared/crypto/index.ts';
import { api, ApiRequestError } from '../api.ts';
import { withNextKeySet } from '../integrity/key-set-changes.ts';

export type { AccountBundle } from '$shared/api/responses.ts';

/**
 * A request of shared/api with the browser's registration response in it: the schema checks that response loosely (the
 * server's WebAuthn library checks the rest), so its inferred type is wider than what the browser's library types.
 */
type WithRegistration<Request> = Omit<Request, 'response'> & { response: RegistrationResponseJSON };

/** Who an unlocked account is and its master key: what sealing and signing on its behalf needs. */
export interface AccountKeys {
  userId: string;
  masterKey: Uint8Array;
}

export interface UnlockedAccount extends AccountKeys {
  bundle: AccountBundle;
}

/** Failures of the account flows, each with a stable code; the API's own errors come as ApiRequestError. */
export class AccountError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const b64 = (bytes: Uint8Array) => encodeBase64url(bytes, { padding: false });
const randomBytes = (length: number) => crypto.getRandomValues(new Uint8Array(length));

/**
 * The PRF output from a WebAuthn response, if the authenticator gave one; the response itself is then stripped of
 * it, so that the JSON sent to the server carries no trace of it.
 */
function takePrfOutput(response: RegistrationResponseJSON | AuthenticationResponseJSON): Uint8Array | undefined {
  const results = response.clientExtensionResults as { prf?: { results?: { first?: BufferSource } } };
  const first = results.prf?.results?.first;
  response.clientExtensionResults = {};
  if (!first) return undefined;
  return first instanceof ArrayBuffer
    ? new Uint8Array(first)
    : new Uint8Array(first.buffer, first.byteOffset, first.byteLength).slice();
}

const prfExtension = async () => ({ prf: { eval: { first: await prfInput() } } });

/** Whether this browser can make passkeys at all. */
export function passkeysSupported(): boolean {
  return typeof window !== 'undefined' && typeof window.PublicKeyCredential === 'function';
}

export interface SignUpResult {
  account: UnlockedAccount;
  /** Shown once, for the recovery kit; never sent anywhere. */
  recoveryCode: string;
  /** Whether this passkey unlocks the account by itself (PRF); if not, the passphrase does. */
  prf: boolean;
}

/** A passkey made for a new account, not yet registered: completeSignUp registers it (within five minutes). */
export interface PendingSignUp {
  userId: string;
  response: RegistrationResponseJSON;
  /** Whether the passkey unlocks by itself; if not, completeSignUp needs a passphrase. */
  prf: boolean;
  prfOutput: Uint8Array | undefined;
}

/** Whether this Coffer takes new accounts, and whether only with an invite: asked before any passkey is made. */
export function registration(): Promise<PublicRegistrationResponse> {
  return api<PublicRegistrationResponse>('GET', '/api/auth/registration');
}

/** Step 1 of sign-up: one touch makes the passkey, and tells whether its authenticator has PRF. */
export async function createPasskey(): Promise<PendingSignUp> {
  const { userId, options: creation } = await api<SignUpOptionsResponse>('POST', '/api/auth/sign-up/options', {});
  const response = await startRegistration({
    optionsJSON: { ...creation, extensions: { ...creation.extensions, ...(await prfExtension()) } },
  });
  const enabled = (response.clientExtensionResults as { prf?: { enabled?: boolean } }).prf?.enabled;
  let prfOutput = takePrfOutput(response);
  if (!prfOutput && enabled !== false) prfOutput = await evaluatePrf(response.id, creation.rp.id);
  return { userId, response, prf: prfOutput !== undefined, prfOutput };
}

/**
 * Step 2: makes the master key and every wrap, and registers the account. Without PRF, `passphrase` is required
 * (NEEDS_PASSPHRASE otherwise, and nothing is sent); with PRF it may be given as a second way in.
 */
export async function completeSignUp(
  pending: PendingSignUp,
  options: { passphrase?: string; inviteToken?: string } = {},
): Promise<SignUpResult> {
  const { userId, response, prfOutput } = pending;
  if (!prfOutput && !options.passphrase) {
    throw new AccountError(
      'NEEDS_PASSPHRASE',
      'this passkey cannot unlock Coffer by itself (its authenticator has no PRF); choose a passphrase',
    );
  }
  const masterKey = generateMasterKey();
  const recoveryKey = generateRecoveryKey();
  const recoverySalt = randomBytes(32);
  const pairs = await generateAccountKeyPairs();
  const request: WithRegistration<SignUpRequest> = {
    response,
    recoveryWrap: {
      salt: b64(recoverySalt),
      wrapped: await wrapMasterKey(
        await recoveryWrappingSecret(recoveryKey, recoverySalt),
        masterKey,
        userId,
        'recovery',
      ),
    },
    recoveryVerifier: b64(await recoveryVerifier(recoveryKey)),
    publicKeys: {
      sharing: b64(await exportPublicKey(pairs.sharing.publicKey)),
      signing: b64(await exportPublicKey(pairs.signing.publicKey)),
    },
    privateKeys: {
      sharing: await wrapPrivateKey(masterKey, pairs.sharing.privateKey, userId, 'sharing'),
      signing: await wrapPrivateKey(masterKey, pairs.signing.privateKey, userId, 'signing'),
    },
  };
  if (prfOutput) request.prfWrap = await makePrfWrap(prfOutput, masterKey, userId, response.id);
  if (options.passphrase) request.passphraseWrap = await makePassphraseWrap(options.passphrase, masterKey, userId);
  if (options.inviteToken) request.inviteToken = options.inviteToken;
  request.keySet = await signKeySet(await firstKeySet(request, userId, response.id), pairs.signing.privateKey);
  const bundle = await api<AccountBundle>('POST', '/api/auth/sign-up/verify', request);
  return {
    account: { userId, masterKey, bundle },
    recoveryCode: formatRecoveryCode(recoveryKey),
    prf: prfOutput !== undefined,
  };
}

/** Version 1 of the new account's key set: its public keys, its one passkey and every wrap the sign-up sends. */
function firstKeySet(request: WithRegistration<SignUpRequest>, userId: string, credentialId: string) {
  return describeKeySet(
    {
      accountId: userId,
      publicKeys: {
        sharing: decodeBase64url(request.publicKeys.sharing),
        signing: decodeBase64url(request.publicKeys.signing),
      },
      passkeyIds: [credentialId],
      prfWraps: request.prfWrap ? [{ credentialId, wrapped: request.prfWrap.wrapped }] : [],
      passphraseWrap: request.passphraseWrap ?? null,
      recoveryWrap: request.recoveryWrap,
    },
    1,
  );
}

/**
 * Some authenticators report PRF as enabled at creation without evaluating it; one assertion with the new credential
 * gets the output. Its challenge is made here and the assertion is never sent: only the PRF output is wanted.
 */
async function evaluatePrf(credentialId: string, rpId: string | undefined): Promise<Uint8Array | undefined> {
  const assertion = await startAuthentication({
    optionsJSON: {
      challenge: b64(randomBytes(32)),
      ...(rpId ? { rpId } : {}),
      allowCredentials: [{ id: credentialId, type: 'public-key' }],
      userVerification: 'required',
      extensions: await prfExtension(),
    } as PublicKeyCredentialRequestOptionsJSON,
  });
  return takePrfOutput(assertion);
}

async function makePrfWrap(prfOutput: Uint8Array, masterKey: Uint8Array, userId: string, credentialId: string) {
  const salt = randomBytes(32);
  const secret = await prfWrappingSecret(prfOutput, salt);
  return { salt: b64(salt), wrapped: await wrapMasterKey(secret, masterKey, userId, { passkey: credentialId }) };
}

async function makePassphraseWrap(passphrase: string, masterKey: Uint8Array, userId: string) {
  const params = newPassphraseParams();
  const secret = await passphraseWrappingSecret(passphrase, params);
  return { ...params, wrapped: await wrapMasterKey(secret, masterKey, userId, 'passphrase') };
}

export type SignInResult =
  | { unlocked: true; account: UnlockedAccount & { bundle: SignInResponse } }
  /** Signed in, but this passkey has no PRF wrap: unlockWithPassphrase(bundle, ...) finishes. */
  | { unlocked: false; bundle: SignInResponse };

/** One touch: signs in with any passkey of any account and, with PRF, unlocks the master key too. */
export async function signIn(): Promise<SignInResult> {
  const { options } = await api<AuthenticationOptionsResponse>('POST', '/api/auth/sign-in/options', {});
  const response = await startAuthentication({
    optionsJSON: { ...options, extensions: { ...options.extensions, ...(await prfExtension()) } },
  });
  const prfOutput = takePrfOutput(response);
  const bundle = await api<SignInResponse>('POST', '/api/auth/sign-in/verify', { response });
  checkSignedInAs(bundle, response);
  const wrap = bundle.prfWraps.find((candidate) => candidate.credentialId === bundle.credentialId);
  if (!prfOutput || !wrap) return { unlocked: false, bundle };
  const secret = await prfWrappingSecret(prfOutput, decodeBase64url(wrap.salt));
  const masterKey = await unwrapMasterKey(secret, wrap.wrapped, bundle.userId, { passkey: wrap.credentialId });
  return { unlocked: true, account: { userId: bundle.userId, masterKey, bundle } };
}

/**
 * The bundle must be the account and the passkey the user just used: the assertion names the account (its user handle
 * is the account id's 16 bytes) and the passkey (its id), and the server must answer for exactly those. Otherwise a
 * server could unlock another account in this page, or ask for the passphrase to open a bundle of its choosing.
 */
function checkSignedInAs(bundle: SignInResponse, response: AuthenticationResponseJSON): void {
  if (bundle.userId !== accountIdOf(response.response.userHandle)) {
    throw new AccountError(
      'ACCOUNT_MISMATCH',
      'The server answered for another account than the one this passkey belongs to, so Coffer stopped before ' +
        'unlocking anything. Try again; if this happens again, the server is not behaving as it should.',
    );
  }
  if (bundle.credentialId !== response.id) {
    throw new AccountError(
      'PASSKEY_MISMATCH',
      'The server answered for another passkey than the one you used, so Coffer stopped before unlocking ' +
        'anything. Try again; if this happens again, the server is not behaving as it should.',
    );
  }
}

/** The account a passkey's user handle names: its 16 bytes are the account id's (server/auth/sign-up.ts). */
function accountIdOf(userHandle: string | undefined): string | undefined {
  if (userHandle === undefined) return undefined;
  try {
    return bytesToUuid(decodeBase64url(userHandle));
  } catch {
    return undefined;
  }
}

/**
 * Unlocks with the passphrase. A wrap made with PBKDF2 (before Argon2id) is then replaced by an Argon2id one; if the
 * server refuses that (e.g. no recent sign-in), the unlock still succeeds and the next unlock tries again.
 */
export async function unlockWithPassphrase(bundle: AccountBundle, passphrase: string): Promise<UnlockedAccount> {
  if (!bundle.passphraseWrap) throw new AccountError('NO_PASSPHRASE', 'this account has no passphrase');
  const secret = await passphraseWrappingSecret(passphrase, bundle.passphraseWrap);
  let masterKey: Uint8Array;
  try {
    masterKey = await unwrapMasterKey(secret, bundle.passphraseWrap.wrapped, bundle.userId, 'passphrase');
  } catch {
    throw new AccountError('WRONG_PASSPHRASE', 'that passphrase does not unlock this account');
  }
  if (!isLegacyPassphraseKdf(bundle.passphraseWrap)) return { userId: bundle.userId, masterKey, bundle };
  const passphraseWrap = await makePassphraseWrap(passphrase, masterKey, bundle.userId);
  const account = { userId: bundle.userId, masterKey };
  const rewrapped = await withNextKeySet(account, { passphraseWrapped: passphraseWrap.wrapped }, (keySet) =>
    api('PUT', '/api/account/passphrase', { passphraseWrap, keySet } satisfies PassphraseRequest),
  ).then(
    () => true,
    () => false,
  );
  return { userId: bundle.userId, masterKey, bundle: rewrapped ? { ...bundle, passphraseWrap } : bundle };
}

/**
 * Signs in with the recovery code alone and unlocks. The code is then used up (the server forgets it and ends every
 * other session): the caller makes a new one at once with makeRecoveryCode, then offers to add a passkey.
 */
export async function recover(code: string): Promise<UnlockedAccount> {
  const recoveryKey = parseRecoveryCode(code);
  const bundle = await api<AccountBundle>('POST', '/api/auth/recover', {
    recoveryVerifier: b64(await recoveryVerifier(recoveryKey)),
  });
  const wrap = bundle.recoveryWrap;
  if (!wrap) {
    throw new AccountError(
      'NO_RECOVERY_WRAP',
      'The server accepted the recovery code but sent no recovery key for this account, so Coffer cannot unlock it.',
    );
  }
  const secret = await recoveryWrappingSecret(recoveryKey, decodeBase64url(wrap.salt));
  const masterKey = await unwrapMasterKey(secret, wrap.wrapped, bundle.userId, 'recovery');
  return { userId: bundle.userId, masterKey, bundle };
}

/** Adds a passkey to the unlocked account (this device or, through the browser's own dialog, a phone). */
export async function addPasskey(account: UnlockedAccount): Promise<{ id: string; prf: boolean }> {
  const { options } = await api<RegistrationOptionsResponse>('POST', '/api/account/passkeys/options', {});
  const response = await startRegistration({
    optionsJSON: { ...options, extensions: { ...options.extensions, ...(await prfExtension()) } },
  });
  let prfOutput = takePrfOutput(response);
  if (!prfOutput) prfOutput = await evaluatePrf(response.id, options.rp.id).catch(() => undefined);
  const request: WithRegistration<AddPasskeyRequest> = { response };
  if (prfOutput) request.prfWrap = await makePrfWrap(prfOutput, account.masterKey, account.userId, response.id);
  const change = { addPasskey: response.id, prfWrapped: request.prfWrap?.wrapped ?? null };
  await withNextKeySet(account, change, (keySet) =>
    api<AddedPasskeyResponse>('POST', '/api/account/passkeys', { ...request, keySet }),
  );
  return { id: response.id, prf: prfOutput !== undefined };
}

/** Removes a passkey; the sessions it started end with it, this browser's too if it signed in with it. */
export async function removePasskey(account: UnlockedAccount, id: string): Promise<RemovedPasskeyResponse> {
  return withNextKeySet(account, { removePasskey: id }, (keySet) =>
    api<RemovedPasskeyResponse>('DELETE', `/api/account/passkeys/${encodeURIComponent(id)}`, {
      keySet,
    } satisfies RemovePasskeyRequest),
  );
}

/**
 * A new recovery code for the unlocked account, replacing the old one (or the one a recovery used up): the master key
 * is wrapped under it here, and only that wrap and the verifier are sent. The code is returned to be shown once.
 */
export async function makeRecoveryCode(account: UnlockedAccount): Promise<string> {
  const recoveryKey = generateRecoveryKey();
  const salt = randomBytes(32);
  const secret = await recoveryWrappingSecret(recoveryKey, salt);
  const recoveryWrap = {
    salt: b64(salt),
    wrapped: await wrapMasterKey(secret, account.masterKey, account.userId, 'recovery'),
  };
  const verifier = b64(await recoveryVerifier(recoveryKey));
  await withNextKeySet(account, { recoveryWrapped: recoveryWrap.wrapped }, (keySet) =>
    api('PUT', '/api/account/recovery', { recoveryWrap, recoveryVerifier: verifier, keySet } satisfies NewRecoveryCode),
  );
  return formatRecoveryCode(recoveryKey);
}

/**
 * Step-up: one touch of one of the account's passkeys, with user verification, answering a challenge for this
 * session. The server then lets this session change passkeys, passphrase, recovery code and other sessions for five
 * minutes. No PRF is asked for: nothing is unlocked.
 */
export async function stepUp(): Promise<void> {
  const { options } = await api<AuthenticationOptionsResponse>('POST', '/api/account/step-up/options', {});
  const response = await startAuthentication({ optionsJSON: options });
  response.clientExtensionResults = {};
  await api('POST', '/api/account/step-up', { response });
}

/**
 * Runs a change to the account's credentials or sessions; when the server answers STEP_UP_REQUIRED, calls `asking`
 * (so the page can say why the passkey is wanted), steps up, and runs it once more.
 */
export async function withStepUp<T>(change: () => Promise<T>, asking: () => void = () => undefined): Promise<T> {
  try {
    return await change();
  } catch (error) {
    if (!(error instanceof ApiRequestError && error.code === 'STEP_UP_REQUIRED')) throw error;
    asking();
    await stepUp();
    return change();
  }
}

/** Names a passkey; the name is encrypted here and only the ciphertext is sent. */
export async function renamePasskey(account: UnlockedAccount, id: string, name: string): Promise<void> {
  const encryptedLabel = await encryptPasskeyLabel(account.masterKey, account.userId, id, name);
  await api('PATCH', `/api/account/passkeys/${encodeURIComponent(id)}`, { encryptedLabel });
}

/** A passkey's name, or undefined if it has none or its name does not decrypt for this passkey. */
export async function passkeyName(
  account: UnlockedAccount,
  id: string,
  encryptedLabel: string | null,
): Promise<string | undefined> {
  if (!encryptedLabel) return undefined;
  return decryptPasskeyLabel(account.masterKey, account.userId, id, encryptedLabel).catch(() => undefined);
}

export async function signOut(): Promise<void> {
  await api('POST', '/api/account/sign-out', {});
}
