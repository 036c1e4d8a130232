/** Accounts made and used through the auth routes, as a browser would, with a software authenticator. */
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { encodeBase64url, generateKey, wrapKey } from '../../shared/crypto/index.ts';
import type { TestBrowser } from './browser.ts';
import { ok } from './client.ts';
import type { Harness } from './harness.ts';
import type { SoftAuthenticator } from '../../tools/harness/soft-authenticator.ts';
import { queryRows } from '../../tools/harness/test-databases.ts';

export const random = (length: number) => encodeBase64url(crypto.getRandomValues(new Uint8Array(length)));
/** A wrapped key of the right shape: the server cannot tell it from a real one, and must not need to. */
export const someWrap = async () =>
  wrapKey(generateKey(), generateKey(), { purpose: 'master-key', owner: 'test', object: 'test' });
export const publicKey = () => random(91);

export interface Bundle {
  userId: string;
  role: 'user' | 'admin';
  credentialId?: string;
  prfWraps: { credentialId: string; salt: string; wrapped: string }[];
  passphraseWrap: Record<string, unknown> | null;
  recoveryWrap: { salt: string; wrapped: string } | null;
  privateKeys: { sharing: string | null; signing: string | null };
  publicKeys: Record<string, string>;
}

export interface Options {
  options: { challenge: string };
}

/** More fields for the sign-up request, or a function of the account id the server chose (and the passkey's id). */
type SignUpExtra =
  Record<string, unknown> | ((userId: string, credentialId: string) => Promise<Record<string, unknown>>);

/** The sign-up ceremony, answered as the server answers it: for tests of refused sign-ups. */
export async function attemptSignUp(browser: TestBrowser, extra: SignUpExtra = {}) {
  const { options, userId } = await ok<Options & { userId: string; options: never }>(
    browser.post('/api/auth/sign-up/options'),
  );
  const response = await browser.authenticator.create(options);
  const recoveryVerifier = random(32);
  const request = {
    response,
    prfWrap: { salt: random(32), wrapped: await someWrap() },
    recoveryWrap: { salt: random(32), wrapped: await someWrap() },
    recoveryVerifier,
    publicKeys: { sharing: publicKey(), signing: publicKey() },
    privateKeys: { sharing: await someWrap(), signing: await someWrap() },
    ...(typeof extra === 'function' ? await extra(userId, response.id) : extra),
  };
  return { userId, recoveryVerifier, request, answer: browser.post('/api/auth/sign-up/verify', request) };
}

export async function signUp(browser: TestBrowser, extra: SignUpExtra = {}) {
  const { userId, recoveryVerifier, request, answer } = await attemptSignUp(browser, extra);
  const bundle = await ok<Bundle>(answer, 201);
  expect(bundle.userId).toBe(userId);
  return { bundle, recoveryVerifier, request };
}

export async function signIn(browser: TestBrowser, tweak: Parameters<SoftAuthenticator['get']>[1] = {}) {
  const { options } = await ok<Options & { options: never }>(browser.post('/api/auth/sign-in/options'));
  const response = await browser.authenticator.get(options, tweak);
  return browser.post('/api/auth/sign-in/verify', { response });
}

/** A step-up on this browser's session, signed by its authenticator (or another one, to try a stranger's passkey). */
export async function stepUp(browser: TestBrowser, authenticator: SoftAuthenticator = browser.authenticator) {
  const { options } = await ok<Options & { options: never }>(browser.post('/api/account/step-up/options'));
  const response = await authenticator.get(options);
  return browser.post('/api/account/step-up', { response });
}

/** Registers another passkey on the account of this browser's session, made by `authenticator`. */
export async function addPasskey(browser: TestBrowser, authenticator: SoftAuthenticator): Promise<string> {
  const { options } = await ok<Options & { options: never }>(browser.post('/api/account/passkeys/options'));
  const response = await authenticator.create(options);
  await ok(browser.post('/api/account/passkeys', { response }), 201);
  return response.id;
}

export const newRecoveryCode = async () => ({
  recoveryWrap: { salt: random(32), wrapped: await someWrap() },
  recoveryVerifier: random(32),
});

export async function auditTypes(h: Harness, userId: string): Promise<string[]> {
  const rows = await queryRows<{ type: string }>(
    h.db,
    sql`select type from audit_events where user_id = ${userId} order by id`,
  );
  return rows.map((row) => row.type);
}

export const minutes = (n: number) => n * 60 * 1000;
export const days = (n: number) => n * 24 * 60 * 60 * 1000;
export const later = (h: Harness, ms: number) => {
  h.clock.now = new Date(h.clock.now.getTime() + ms);
};
