/**
 * The file-request page's state: reading the owner's fingerprint from the fragment (and dropping it from the address
 * bar), checking the owner's keys and terms against it, then uploading the files chosen, one after the other.
 */
import { ApiRequestError } from '$lib/api.ts';
import { describeError } from '$lib/errors.ts';
import { openRequest, uploadToRequest, type CheckedRequest } from '$lib/requests/request-visit.ts';
import { CofferCryptoError } from '$shared/crypto/index.ts';

export type Stage =
  { name: 'opening' } | { name: 'open'; request: CheckedRequest } | { name: 'refused'; title: string; message: string };

/** What each refusal is called on its page; the message that follows says what was received. */
const REFUSALS: Record<string, string> = {
  LINK_MALFORMED: 'This link is incomplete',
  LINK_NOT_FOUND: 'There is no such link',
  LINK_EXPIRED: 'This link has expired',
  LINK_EXHAUSTED: 'This link has taken all the files it allows',
  LINK_REVOKED: 'This link was revoked',
  LINK_OWNER_DISABLED: 'This link is unavailable',
  PUBLIC_KEY_MISMATCH: "The server sent someone else's keys",
  REQUEST_MESSAGE_INVALID: "The owner's message was altered",
  RATE_LIMITED: 'Too many tries',
};

export interface SentFile {
  name: string;
  status: 'waiting' | 'sending' | 'sent' | 'failed';
  share: number;
  error: string;
}

/** The fingerprint in a link's fragment: 32 bytes as 43 characters of unpadded base64url. */
const FINGERPRINT = /^[A-Za-z0-9_-]{43}$/;

export class RequestVisit {
  stage = $state.raw<Stage>({ name: 'opening' });
  fragmentDropped = $state(false);
  files = $state<SentFile[]>([]);
  busy = $state(false);

  constructor(readonly linkId: string) {}

  async start(): Promise<void> {
    const fingerprint = decodeURIComponent(location.hash.slice(1));
    if (location.hash) {
      history.replaceState(history.state, '', location.pathname + location.search);
      this.fragmentDropped = true;
    }
    try {
      if (!FINGERPRINT.test(fingerprint)) {
        throw new CofferCryptoError(
          'LINK_MALFORMED',
          `the link should end in "#" and the owner's 43-character key fingerprint, it has ${JSON.stringify(fingerprint.slice(0, 64))}: it was cut short or altered`,
        );
      }
      this.stage = { name: 'open', request: await openRequest(this.linkId, fingerprint) };
    } catch (error) {
      this.#refuse(error);
    }
  }

  /** Sends the files in turn; each fails on its own, and the link's refusals end the page. */
  async send(chosen: File[]): Promise<void> {
    if (this.stage.name !== 'open' || chosen.length === 0) return;
    const { request } = this.stage;
    const start = this.files.length;
    this.files.push(...chosen.map((file) => ({ name: file.name, status: 'waiting' as const, share: 0, error: '' })));
    this.busy = true;
    try {
      for (const [i, file] of chosen.entries()) {
        const row = this.files[start + i]!;
        row.status = 'sending';
        try {
          await uploadToRequest(request, file, (share) => (row.share = share));
          row.status = 'sent';
        } catch (error) {
          row.status = 'failed';
          row.error = describeError(error);
          if (error instanceof CofferCryptoError) throw error;
        }
      }
      this.stage = { name: 'open', request: await openRequest(this.linkId, request.fingerprint) };
    } catch (error) {
      if (error instanceof ApiRequestError && error.code === 'LINK_EXHAUSTED') {
        this.stage = { name: 'open', request: { ...request, filesLeft: 0 } };
      } else {
        this.#refuse(error);
      }
    } finally {
      this.busy = false;
    }
  }

  #refuse(error: unknown): void {
    const code = error instanceof ApiRequestError || error instanceof CofferCryptoError ? error.code : undefined;
    this.stage = {
      name: 'refused',
      title: (code && REFUSALS[code]) || 'This link could not be opened',
      message: describeError(error),
    };
  }
}
