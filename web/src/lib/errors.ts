/** A readable message for whatever a flow threw: the server's message, WebAuthn's refusals, or the format's errors. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'NotAllowedError') return 'The passkey prompt was closed or timed out. Try again.';
    if (error.name === 'InvalidStateError') return 'This authenticator already holds a passkey for this account.';
    return error.message;
  }
  return String(error);
}
