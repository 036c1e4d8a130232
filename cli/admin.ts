/**
 * `coffer admin`: the instance's administration from the operator's shell. It reads the server's configuration
 * (DATABASE_URL, DATA_DIR, BLOB_STORE...) and calls the same domain functions as /api/admin, with the operator's shell
 * as the actor in the audit log. PGlite serves one process: with the embedded database, stop the server first.
 */
import { parseArgs } from 'node:util';
import { REGISTRATION_MODES, type RegistrationMode } from '../shared/api/admin-schemas.ts';
import { OPERATOR_SHELL } from '../server/admin/admin-audit.ts';
import {
  deleteAccount,
  disableAccount,
  enableAccount,
  endAccountSessions,
  listAccounts,
  setDefaultQuota,
  setQuota,
} from '../server/admin/accounts.ts';
import { createInvite } from '../server/admin/invites.ts';
import { registrationMode, setRegistrationMode, type AdminDeps } from '../server/admin/registration.ts';
import { openBlobStore } from '../server/blobs/open-blob-store.ts';
import { loadConfig } from '../server/config.ts';
import { openDatabase } from '../server/db/database.ts';
import { formatBytes } from '../server/storage/usage.ts';

export const ADMIN_USAGE = `  coffer admin users [--json]                list accounts: sizes, counts and times, never names or keys
  coffer admin invite [--expires-hours N] [--quota BYTES] [--json]   print a one-time sign-up link
  coffer admin quota USER_ID|default BYTES  set an account's quota, or that of new accounts
  coffer admin disable|enable USER_ID       disable an account (ending its sessions) or enable it again
  coffer admin delete USER_ID --confirm HANDLE   delete an account with all its files, for good (its id if it has no handle)
  coffer admin sessions revoke USER_ID      end every session of an account
  coffer admin mode [open|invite-only|closed]   show or set who may sign up
admin reads the server's configuration (DATABASE_URL, DATA_DIR, BLOB_STORE...); with the embedded database (no
DATABASE_URL) stop the server first.`;

export class AdminUsageError extends Error {}

const OPTIONS = {
  json: { type: 'boolean' },
  'expires-hours': { type: 'string' },
  quota: { type: 'string' },
  confirm: { type: 'string' },
} as const;

export async function runAdmin(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const [command, ...rest] = positionals;
  if (!command) throw new AdminUsageError('name an admin command');
  const config = loadConfig(process.env);
  const database = await openDatabase(config.database);
  const blobs = await openBlobStore(config.blobs);
  const deps: AdminDeps = {
    db: database.db,
    blobs,
    now: () => new Date(),
    defaultQuotaBytes: config.defaultQuotaBytes,
    registrationDefault: config.registrationDefault,
  };
  const print = (human: string, json: unknown): void => {
    process.stdout.write((values.json ? JSON.stringify(json) : human) + '\n');
  };
  try {
    switch (command) {
      case 'users': {
        const { users } = await listAccounts(deps);
        const lines = users.map(
          (user) =>
            `${user.id}  ${user.role.padEnd(5)}  ${user.status.padEnd(8)}  ${formatBytes(user.usedBytes)} of ` +
            `${formatBytes(user.quotaBytes)}  ${user.passkeys} passkey(s)  last active ${user.lastActiveAt ?? 'never'}`,
        );
        return print(lines.join('\n') || 'no accounts yet', { users });
      }
      case 'invite': {
        const made = await createInvite(
          deps,
          OPERATOR_SHELL,
          {
            ...(values['expires-hours'] === undefined
              ? {}
              : { expiresInHours: whole('--expires-hours', values['expires-hours']) }),
            ...(values.quota === undefined ? {} : { quotaBytes: whole('--quota', values.quota) }),
          },
          config.publicOrigin,
        );
        return print(made.link, { link: made.link, invite: made.invite });
      }
      case 'quota': {
        const [who, bytes] = args(rest, 2, 'quota USER_ID|default BYTES');
        const quotaBytes = whole('BYTES', bytes);
        if (who === 'default') await setDefaultQuota(deps, OPERATOR_SHELL, quotaBytes);
        else await setQuota(deps, OPERATOR_SHELL, userId(who), quotaBytes);
        return print(`quota of ${who} set to ${formatBytes(quotaBytes)}`, { quotaBytes });
      }
      case 'disable': {
        const [id] = args(rest, 1, 'disable USER_ID');
        const { endedSessions } = await disableAccount(deps, OPERATOR_SHELL, userId(id));
        return print(`disabled ${id}; ended ${endedSessions} session(s)`, { endedSessions });
      }
      case 'enable': {
        const [id] = args(rest, 1, 'enable USER_ID');
        await enableAccount(deps, OPERATOR_SHELL, userId(id));
        return print(`enabled ${id}`, { enabled: id });
      }
      case 'delete': {
        const [id] = args(rest, 1, 'delete USER_ID --confirm HANDLE');
        if (values.confirm === undefined)
          throw new AdminUsageError("delete needs --confirm with the account's handle (its id if it has none)");
        await deleteAccount(deps, OPERATOR_SHELL, userId(id), values.confirm);
        return print(`deleted ${id} and all its files`, { deleted: id });
      }
      case 'sessions': {
        const [action, id] = args(rest, 2, 'sessions revoke USER_ID');
        if (action !== 'revoke') throw new AdminUsageError(`unknown sessions action "${action}": use revoke`);
        const { endedSessions } = await endAccountSessions(deps, OPERATOR_SHELL, userId(id));
        return print(`ended ${endedSessions} session(s) of ${id}`, { endedSessions });
      }
      case 'mode': {
        if (rest.length > 1) throw new AdminUsageError('mode takes at most one argument');
        const [mode] = rest;
        if (mode !== undefined) {
          if (!(REGISTRATION_MODES as readonly string[]).includes(mode)) {
            throw new AdminUsageError(`mode must be one of ${REGISTRATION_MODES.join(', ')}, got "${mode}"`);
          }
          await setRegistrationMode(deps, OPERATOR_SHELL, mode as RegistrationMode);
        }
        const current = await registrationMode(deps);
        return print(`registration: ${current}`, { mode: current });
      }
      default:
        throw new AdminUsageError(`unknown admin command "${command}"`);
    }
  } finally {
    await Promise.allSettled([database.close(), blobs.close()]);
  }
}

function args(rest: string[], count: number, usage: string): string[] {
  if (rest.length !== count) throw new AdminUsageError(`usage: coffer admin ${usage}`);
  return rest;
}

function userId(text: string | undefined): string {
  if (!text || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)) {
    throw new AdminUsageError(`USER_ID must be an account id (a UUID, see "coffer admin users"), got "${text}"`);
  }
  return text.toLowerCase();
}

function whole(name: string, text: string | undefined): number {
  const value = Number(text);
  if (!text || !/^\d+$/.test(text) || !Number.isSafeInteger(value)) {
    throw new AdminUsageError(`${name} must be a whole number, got "${text}"`);
  }
  return value;
}
