/**
 * A passkey authenticator in software, for server tests: it makes the same JSON a browser hands to
 * @simplewebauthn/browser's callers (attestation "none", ES256), and can be told to misbehave (another origin, a
 * counter that does not advance). The end-to-end tests use Chromium's virtual authenticator instead.
 */
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { decodeBase64url, encodeBase64url } from '../../shared/crypto/index.ts';

interface StoredCredential {
  id: Uint8Array;
  keys: CryptoKeyPair;
  rpId: string;
  userHandle: string;
  counter: number;
}

const FLAG_USER_PRESENT = 0x01;
const FLAG_USER_VERIFIED = 0x04;
const FLAG_ATTESTED_DATA = 0x40;

export class SoftAuthenticator {
  readonly credentials: StoredCredential[] = [];

  constructor(readonly origin: string) {}

  async create(
    options: PublicKeyCredentialCreationOptionsJSON,
    tweak: { origin?: string } = {},
  ): Promise<RegistrationResponseJSON> {
    const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    const id = crypto.getRandomValues(new Uint8Array(16));
    const rpId = options.rp.id!;
    this.credentials.push({ id, keys, rpId, userHandle: options.user.id, counter: 0 });
    const jwk = await crypto.subtle.exportKey('jwk', keys.publicKey);
    const coseKey = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, decodeBase64url(jwk.x!)],
      [-3, decodeBase64url(jwk.y!)],
    ]);
    const authData = concat(
      await sha256(new TextEncoder().encode(rpId)),
      new Uint8Array([FLAG_USER_PRESENT | FLAG_USER_VERIFIED | FLAG_ATTESTED_DATA]),
      uint32(0),
      new Uint8Array(16),
      new Uint8Array([0, id.length]),
      id,
      isoCBOR.encode(coseKey),
    );
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, string>>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', authData],
      ]),
    );
    return {
      id: encodeBase64url(id, { padding: false }),
      rawId: encodeBase64url(id, { padding: false }),
      type: 'public-key',
      response: {
        clientDataJSON: clientData('webauthn.create', options.challenge, tweak.origin ?? this.origin),
        attestationObject: encodeBase64url(attestationObject, { padding: false }),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** Signs the challenge with the given credential (default: the last made), advancing its counter. */
  async get(
    options: PublicKeyCredentialRequestOptionsJSON,
    tweak: { credential?: StoredCredential; origin?: string; counter?: number } = {},
  ): Promise<AuthenticationResponseJSON> {
    const credential = tweak.credential ?? this.credentials.at(-1)!;
    credential.counter = tweak.counter ?? credential.counter + 1;
    const clientDataJSON = clientData('webauthn.get', options.challenge, tweak.origin ?? this.origin);
    const authData = concat(
      await sha256(new TextEncoder().encode(credential.rpId)),
      new Uint8Array([FLAG_USER_PRESENT | FLAG_USER_VERIFIED]),
      uint32(credential.counter),
    );
    const signed = concat(authData, await sha256(decodeBase64url(clientDataJSON)));
    const raw = new Uint8Array(
      await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, credential.keys.privateKey, new Uint8Array(signed)),
    );
    return {
      id: encodeBase64url(credential.id, { padding: false }),
      rawId: encodeBase64url(credential.id, { padding: false }),
      type: 'public-key',
      response: {
        clientDataJSON,
        authenticatorData: encodeBase64url(authData, { padding: false }),
        signature: encodeBase64url(derSignature(raw), { padding: false }),
        userHandle: credential.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}

function clientData(type: string, challenge: string, origin: string): string {
  const json = JSON.stringify({ type, challenge, origin, crossOrigin: false });
  return encodeBase64url(new TextEncoder().encode(json), { padding: false });
}

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(bytes)));
}

function uint32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  parts.reduce((offset, part) => (out.set(part, offset), offset + part.length), 0);
  return out;
}

/** WebCrypto signs ECDSA as r ‖ s; WebAuthn carries it DER-encoded. */
function derSignature(raw: Uint8Array): Uint8Array {
  const integer = (bytes: Uint8Array) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    const trimmed = bytes.subarray(start);
    const body = trimmed[0]! & 0x80 ? concat(new Uint8Array([0]), trimmed) : trimmed;
    return concat(new Uint8Array([0x02, body.length]), body);
  };
  const sequence = concat(integer(raw.subarray(0, 32)), integer(raw.subarray(32)));
  return concat(new Uint8Array([0x30, sequence.length]), sequence);
}
