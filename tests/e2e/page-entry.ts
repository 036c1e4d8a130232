/** The test page's script: the web app's account client (window.coffer) and, for assertions, the shared crypto. */
import { startAuthentication } from '@simplewebauthn/browser';
import * as client from '../../web/src/lib/auth/account-client.ts';
import * as cofferCrypto from '../../shared/crypto/index.ts';

Object.assign(window, { coffer: client, cofferCrypto, startAuthentication });
