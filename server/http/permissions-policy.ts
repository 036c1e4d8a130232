/**
 * The browser features Coffer's pages may use: passkeys (WebAuthn) and fullscreen video previews, from its own origin.
 * Everything else a page could ask for (sensors, devices, payment, the clipboard, topics) is off, so code
 * that is not Coffer's, if it ever ran in the page, could not reach it either.
 */
import type { secureHeaders } from 'hono/secure-headers';

type PermissionsPolicy = NonNullable<NonNullable<Parameters<typeof secureHeaders>[0]>['permissionsPolicy']>;

const OFF = [
  'accelerometer',
  'browsingTopics',
  'camera',
  'clipboardRead',
  'clipboardWrite',
  'displayCapture',
  'encryptedMedia',
  'geolocation',
  'gyroscope',
  'hid',
  'identityCredentialsGet',
  'idleDetection',
  'localFonts',
  'magnetometer',
  'microphone',
  'midi',
  'otpCredentials',
  'payment',
  'screenWakeLock',
  'serial',
  'usb',
  'windowManagement',
  'xrSpatialTracking',
] as const;

export const PERMISSIONS_POLICY: PermissionsPolicy = {
  ...Object.fromEntries(OFF.map((feature) => [feature, false])),
  // Sign-in and adding a passkey; publickey-credentials-create has the same default ('self') and is not listed here.
  publickeyCredentialsGet: ['self'],
  // The video preview's fullscreen button.
  fullscreen: ['self'],
};
