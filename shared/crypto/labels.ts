/** The constants of docs/FORMAT.md section 1, quoted verbatim. */
import { utf8 } from './bytes.ts';

export const STREAM_MAGIC = utf8('COFFER');
export const STREAM_VERSION = 0x01;
export const LABEL_STREAM_HEADER = 'coffer/v1/stream/header';
export const LABEL_STREAM_CHUNK = 'coffer/v1/stream/chunk';
export const LABEL_WRAP = 'coffer/v1/wrap';
export const LABEL_METADATA = 'coffer/v1/metadata';
export const LABEL_THUMBNAIL = 'coffer/v1/thumbnail';
export const WRAP_PAYLOAD_VERSION = 0x01;
export const FERNET_VERSION = 0x80;
export const LABEL_PRF_INPUT = 'coffer/v1/prf/input';
export const LABEL_PRF_WRAP = 'coffer/v1/prf/wrap';
export const LABEL_RECOVERY_WRAP = 'coffer/v1/recovery/wrap';
export const LABEL_RECOVERY_VERIFIER = 'coffer/v1/recovery/verifier';
export const LABEL_FINGERPRINT = 'coffer/v1/fingerprint';
export const LABEL_GRANT_WRAP = 'coffer/v1/grant/wrap';
export const LABEL_GRANT_SIGNATURE = 'coffer/v1/grant/signature';
export const GRANT_VERSION = 0x01;
export const LABEL_NODE_AUTHOR = 'coffer/v1/node/author';
export const NODE_AUTHOR_VERSION = 0x01;
export const LABEL_LINK_PASSWORD_SALT = 'coffer/v1/link/password-salt';
export const LABEL_LINK_WRAP = 'coffer/v1/link/wrap';
export const LABEL_LINK_ACCESS = 'coffer/v1/link/access';
export const LABEL_REQUEST_SEAL = 'coffer/v1/request/seal';
export const LABEL_REQUEST_MESSAGE = 'coffer/v1/request/message';
export const LABEL_EXPORT_MANIFEST = 'coffer/v1/export/manifest';
export const EXPORT_VERSION = 0x01;
