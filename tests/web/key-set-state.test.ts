/**
 * The key set as the app shows it (web/src/lib/integrity/key-set.svelte.ts): a verification that ends after a newer
 * one began, or after the account was locked, must not replace what the newer state shows.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type * as Crypto from '../../shared/crypto/index.ts';
import type * as Api from '../../web/src/lib/api.ts';
import type * as KeySetChecks from '../../web/src/lib/integrity/key-set-check.ts';
import type { KeySetCheck } from '../../web/src/lib/integrity/key-set-check.ts';

type Shown = { bundle: object; passkeys: { passkeys: { id: string }[] } };

/** Each call to shownAccount waits here until the test answers it, in whatever order the test chooses. */
const answers: ((shown: Shown) => void)[] = [];
/** What checkKeySet finds for the bundle it is given: the bundle names its verification. */
const found = new Map<object, KeySetCheck>();

vi.mock('../../web/src/lib/integrity/shown-account.ts', () => ({
  shownAccount: () => new Promise<Shown>((resolve) => answers.push(resolve)),
}));
const requests = vi.hoisted(() => [] as string[]);
vi.mock('../../web/src/lib/api.ts', async (original) => ({
  ...(await original<typeof Api>()),
  api: async (method: string, path: string) => void requests.push(`${method} ${path}`),
}));
vi.mock('../../web/src/lib/integrity/seen-versions.ts', () => ({ openSeenVersions: () => ({}) }));
vi.mock('../../web/src/lib/integrity/key-set-check.ts', async (original) => ({
  ...(await original<typeof KeySetChecks>()),
  checkKeySet: async (_account: unknown, bundle: object) => found.get(bundle)!,
  keySetSource: () => ({}),
}));
// Writing a first key set signs it: here the signature is not what is tested, only whether the write is sent.
vi.mock('../../shared/crypto/index.ts', async (original) => ({
  ...(await original<typeof Crypto>()),
  describeKeySet: async () => ({}),
  unwrapPrivateKey: async () => ({}),
  signKeySet: async () => ({}),
}));

const { keySetState } = await import('../../web/src/lib/integrity/key-set.svelte.ts');

const account = { userId: 'me', masterKey: new Uint8Array(32) };
const rolledBack: KeySetCheck = { kind: 'rolled-back', shown: 1, seen: 2 };
const trusted = { kind: 'trusted', unnamedPasskeys: [] } as unknown as KeySetCheck;

/** Answers the `index`th shownAccount call with a bundle that checks as `check`. */
function answer(index: number, check: KeySetCheck): void {
  const bundle = { privateKeys: { signing: {} } };
  found.set(bundle, check);
  answers[index]!({ bundle, passkeys: { passkeys: [] } });
}

describe('the key set state', () => {
  beforeEach(() => {
    keySetState.forget();
    answers.length = 0;
    requests.length = 0;
  });

  it('keeps the newer verification when an older one ends last', async () => {
    const older = keySetState.verify(account);
    const newer = keySetState.verify(account);
    await vi.waitFor(() => expect(answers).toHaveLength(2));
    answer(1, trusted);
    await newer;
    answer(0, rolledBack);
    await older;
    expect(keySetState.check).toBe(trusted);
    expect(keySetState.warning).toBeUndefined();
  });

  it('keeps a real warning when an older trusting verification ends last', async () => {
    const older = keySetState.verify(account);
    const newer = keySetState.verify(account);
    await vi.waitFor(() => expect(answers).toHaveLength(2));
    answer(1, rolledBack);
    await newer;
    answer(0, trusted);
    await older;
    expect(keySetState.check).toBe(rolledBack);
    expect(keySetState.warning).toBeTruthy();
  });

  it('shows nothing from a verification that ends after the account was locked', async () => {
    const verifying = keySetState.verify(account);
    await vi.waitFor(() => expect(answers).toHaveLength(1));
    keySetState.forget();
    answer(0, rolledBack);
    await verifying;
    expect(keySetState.check).toBeNull();
    expect(keySetState.warning).toBeUndefined();
  });

  it('writes no first key set once the account was locked, when another account may be signed in', async () => {
    const verifying = keySetState.verify(account);
    await vi.waitFor(() => expect(answers).toHaveLength(1));
    keySetState.forget();
    let ended = false;
    void verifying.then(() => (ended = true));
    answer(0, { kind: 'first-use', publicKeys: {} } as KeySetCheck);
    await vi.waitFor(() => expect(ended || requests.length > 0).toBe(true));
    expect(requests).toEqual([]);
    expect(keySetState.check).toBeNull();
  });
});
