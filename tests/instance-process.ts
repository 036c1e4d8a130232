/**
 * A Coffer instance as its operator runs it: `server/main.ts` in a process of its own on the settings of `env`, and
 * the `coffer` CLI run against the same settings. The test's own environment is passed on without any instance
 * settings a developer's shell may hold, so each instance is exactly what `env` says.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { COFFER, ROOT } from './run-command.ts';
import { waitForListening } from '../tools/harness/server-process.ts';

export type InstanceEnv = Record<string, string>;

export interface InstanceProcess {
  child: ChildProcess;
  url: string;
}

/** The test's own environment, without any instance settings a developer's shell may hold. */
export function withoutInstanceSettings(): InstanceEnv {
  const env: InstanceEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(DATABASE_URL|DATA_DIR|BLOB_|S3_)/.test(name)) env[name] = value;
  }
  return env;
}

/** Starts the server on `env` (which may set PORT and PUBLIC_ORIGIN) and resolves once it listens. */
export async function startInstance(env: InstanceEnv): Promise<InstanceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...withoutInstanceSettings(), PORT: '0', REGISTRATION: 'open', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { child, url: await waitForListening(child) };
}

export async function stopInstance(instance: InstanceProcess): Promise<void> {
  if (instance.child.exitCode !== null) return;
  const exited = once(instance.child, 'exit');
  instance.child.kill('SIGTERM');
  await exited;
}

/** Runs `coffer ARGS` on the instance settings of `env`, to its end. */
export async function runCoffer(
  args: string[],
  env: InstanceEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...COFFER, ...args], {
    cwd: ROOT,
    env: { ...withoutInstanceSettings(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (part: Buffer) => (stdout += part.toString()));
  child.stderr.on('data', (part: Buffer) => (stderr += part.toString()));
  const [status] = (await once(child, 'close')) as [number | null];
  return { status, stdout, stderr };
}
