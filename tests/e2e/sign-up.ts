/** Signing up and unlocking in the built web app, with a PRF passkey, as a user would. */
import type { Page } from 'playwright';

export async function signUpWithPasskey(page: Page, origin: string): Promise<void> {
  await page.goto(origin);
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByRole('button', { name: 'Create a passkey' }).click();
  await confirmRecoveryKit(page);
}

/** Past the recovery kit of a new account, into the unlocked app. */
export async function confirmRecoveryKit(page: Page): Promise<void> {
  await page.getByLabel('I have saved my recovery code').check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByTestId('unlocked').waitFor();
}

/** After a reload the master key is gone: one touch of the PRF passkey brings it back. */
export async function unlockWithPasskey(page: Page): Promise<void> {
  await page.waitForURL('**/unlock');
  await page.getByRole('button', { name: 'Unlock with your passkey' }).click();
  await page.getByTestId('unlocked').waitFor();
}

/**
 * After the passkey's touch: a passkey without PRF (no `passphrase` given means it has PRF) signs in only, and the
 * passphrase unlocks.
 */
export async function finishUnlock(page: Page, passphrase?: string): Promise<void> {
  if (passphrase !== undefined) {
    await page.getByText('This passkey cannot unlock your files by itself').waitFor();
    await page.getByLabel('Passphrase').fill(passphrase);
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  }
  await page.getByTestId('unlocked').waitFor();
}

/**
 * Creates an account in the web app up to its recovery kit and returns the code shown there; without PRF (a
 * `passphrase` given) the passphrase is chosen first.
 */
export async function createAccountToRecoveryKit(page: Page, origin: string, passphrase?: string): Promise<string> {
  await page.goto(origin);
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByRole('button', { name: 'Create a passkey' }).click();
  if (passphrase !== undefined) {
    await page.getByText('has no PRF').waitFor();
    await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
    await page.getByLabel('The same again').fill(passphrase);
    await page.getByRole('button', { name: 'Create account' }).click();
  }
  return (await page.getByTestId('recovery-code').textContent())!.trim();
}
