/**
 * A throwaway single-node Ceph cluster (one monitor, one in-memory OSD) with a RADOS Gateway in front: a real S3
 * server for the S3 blob store tests, after the recipe in /work/shared/notes/s3-test-server.md. Everything (config,
 * data, sockets, pid and log files) lives in one folder under the system's temporary directory, and every port is
 * picked free at start, so runs in parallel do not meet.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

export interface CephRgw {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Kills the gateway alone (the cluster behind it keeps its objects), as when the S3 server goes down. */
  stopGateway(): Promise<void>;
  /** Starts the gateway again on the same port, and resolves once it answers HTTP. */
  startGateway(): Promise<void>;
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'run .ci/run, or: apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw ceph-common';
const BINARIES = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'ceph', 'ceph-authtool', 'monmaptool'];
const ACCESS_KEY_ID = 'COFFERTESTACCESSKEY';
const SECRET_ACCESS_KEY = 'coffer-test-secret-access-key';
/** Bounds on each step; together they took about 13 s on a 2-core machine. */
const COMMAND_TIMEOUT_MS = 30_000;
const OSD_UP_TIMEOUT_MS = 60_000;
const RGW_UP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

const execFileAsync = promisify(execFile);

export interface CephRgwOptions {
  /** Size of the in-memory object store; 1 GiB unless a run needs more (the server benchmark stores 1 GiB). */
  memstoreBytes?: number;
}

/** Makes an empty bucket on the gateway, for a blob store to use. */
export async function createBucket(rgw: CephRgw, bucket: string): Promise<void> {
  const client = new S3Client({
    endpoint: rgw.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
}

export async function startCephRgw(options: CephRgwOptions = {}): Promise<CephRgw> {
  const missing = BINARIES.filter((name) => !existsSync(`/usr/bin/${name}`));
  if (missing.length > 0) throw new Error(`Ceph is not installed (no ${missing.join(', ')}): ${INSTALL_HINT}`);

  const dir = await mkdtemp(join(tmpdir(), 'coffer-ceph-'));
  const conf = join(dir, 'ceph.conf');
  const logOf = (name: string) => join(dir, 'log', `${name}.log`);
  const stop = () => stopCluster(dir);
  try {
    const [monV2, monV1, rgwPort] = await freePorts(3);
    const fsid = randomUUID();
    await writeFile(conf, cephConf(dir, fsid, monV2!, monV1!, rgwPort!, options.memstoreBytes ?? 1024 ** 3));
    for (const sub of ['run', 'log', 'mon.a', 'rgw.a']) await mkdir(join(dir, sub));
    const ceph = (command: string, args: string[], log: string) => run(command, ['-c', conf, ...args], logOf(log));

    await run(
      'ceph-authtool',
      ['--create-keyring', join(dir, 'mon.keyring'), '--gen-key', '-n', 'mon.'],
      logOf('mon.a'),
    );
    await run(
      'monmaptool',
      ['--create', '--fsid', fsid, '--addv', 'a', `[v2:127.0.0.1:${monV2},v1:127.0.0.1:${monV1}]`, join(dir, 'monmap')],
      logOf('mon.a'),
    );
    await ceph(
      'ceph-mon',
      ['--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap'), '--keyring', join(dir, 'mon.keyring')],
      'mon.a',
    );
    await ceph('ceph-mon', ['-i', 'a'], 'mon.a');

    const osdUuid = randomUUID();
    const osdId = (await ceph('ceph', ['--connect-timeout', '20', 'osd', 'new', osdUuid], 'mon.a')).trim();
    await mkdir(join(dir, `osd.${osdId}`));
    await ceph('ceph-osd', ['-i', osdId, '--mkfs', '--osd-uuid', osdUuid], `osd.${osdId}`);
    await ceph('ceph-osd', ['-i', osdId], `osd.${osdId}`);
    await waitUntil('the OSD is up', OSD_UP_TIMEOUT_MS, logOf(`osd.${osdId}`), async () => {
      const stat = JSON.parse(await ceph('ceph', ['osd', 'stat', '--format', 'json'], 'mon.a')) as {
        num_up_osds: number;
      };
      return stat.num_up_osds === 1;
    });

    const endpoint = `http://127.0.0.1:${rgwPort}`;
    const startGateway = async () => {
      await ceph('radosgw', ['-n', 'client.rgw.a'], 'client.rgw.a');
      await waitUntil('radosgw answers HTTP', RGW_UP_TIMEOUT_MS, logOf('client.rgw.a'), async () => {
        if (!(await daemonAlive(dir, 'client.rgw.a'))) throw new Error('radosgw exited');
        return fetch(endpoint, { signal: AbortSignal.timeout(2_000) }).then(
          () => true,
          () => false,
        );
      });
    };
    await startGateway();
    await ceph(
      'radosgw-admin',
      [
        'user',
        'create',
        '--uid=coffer-test',
        '--display-name=coffer-test',
        `--access-key=${ACCESS_KEY_ID}`,
        `--secret-key=${SECRET_ACCESS_KEY}`,
      ],
      'client.admin',
    );
    return {
      endpoint,
      accessKeyId: ACCESS_KEY_ID,
      secretAccessKey: SECRET_ACCESS_KEY,
      stopGateway: () => stopGateway(dir),
      startGateway,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function cephConf(
  dir: string,
  fsid: string,
  monV2: number,
  monV1: number,
  rgwPort: number,
  memstoreBytes: number,
): string {
  return `[global]
fsid = ${fsid}
mon host = [v2:127.0.0.1:${monV2},v1:127.0.0.1:${monV1}]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
# Without these, radosgw waits 300 s on an authentication request.
ms mon client mode = crc
ms client mode = crc
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = ${memstoreBytes}
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
pid file = ${dir}/run/$name.pid
log file = ${dir}/log/$name.log
crash dir = ${dir}/crash
keyring = ${dir}/keyring

[mon.a]
mon data = ${dir}/mon.a

[osd]
osd data = ${dir}/$name

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw data = ${dir}/rgw.a
`;
}

/** Runs a Ceph command to completion; on failure, the error carries its output and the end of `log`. */
async function run(command: string, args: string[], log: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { timeout: COMMAND_TIMEOUT_MS, encoding: 'utf8' });
    return stdout;
  } catch (error) {
    const { stdout, stderr, killed } = error as { stdout?: string; stderr?: string; killed?: boolean };
    const how = killed ? `did not finish in ${COMMAND_TIMEOUT_MS / 1000} s` : 'failed';
    throw new Error(`${command} ${args.join(' ')} ${how}\n${stderr ?? ''}${stdout ?? ''}\n${await logTail(log)}`, {
      cause: error,
    });
  }
}

async function waitUntil(what: string, timeoutMs: number, log: string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let failure: unknown;
    try {
      if (await ready()) return;
    } catch (error) {
      failure = error;
    }
    if (failure !== undefined || Date.now() > deadline) {
      const why = failure === undefined ? `not after ${timeoutMs / 1000} s` : String(failure);
      throw new Error(`waiting until ${what}: ${why}\n${await logTail(log)}`);
    }
    await sleep(250);
  }
}

async function logTail(log: string, lines = 30): Promise<string> {
  const text = await readFile(log, 'utf8').catch(() => '');
  if (text === '') return `(${log} is empty or missing)`;
  return `last lines of ${log}:\n${text.trimEnd().split('\n').slice(-lines).join('\n')}`;
}

async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  await Promise.all(servers.map((server) => new Promise<void>((done) => server.listen(0, '127.0.0.1', done))));
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return ports;
}

async function daemonPids(dir: string): Promise<number[]> {
  const runDir = join(dir, 'run');
  const names = await readdir(runDir).catch(() => []);
  const pids = await Promise.all(
    names
      .filter((name) => name.endsWith('.pid'))
      .map(async (name) => Number(await readFile(join(runDir, name), 'utf8'))),
  );
  return pids.filter((pid) => Number.isSafeInteger(pid) && pid > 0);
}

async function daemonAlive(dir: string, name: string): Promise<boolean> {
  const pid = Number(await readFile(join(dir, 'run', `${name}.pid`), 'utf8').catch(() => ''));
  // No pid file yet: the daemon is still starting.
  return pid === 0 || isRunning(pid);
}

/** A zombie counts as gone: the daemons are orphans, and not every container's init reaps orphans. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Kills radosgw alone and removes its pid file, so that a gateway started again is not taken for the dead one. */
async function stopGateway(dir: string): Promise<void> {
  const pidFile = join(dir, 'run', 'client.rgw.a.pid');
  const pid = Number(await readFile(pidFile, 'utf8'));
  if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isRunning(pid)) {
    if (Date.now() > deadline) throw new Error(`radosgw ${pid} survived SIGKILL`);
    await sleep(50);
  }
  await rm(pidFile, { force: true });
}

/**
 * Kills the daemons by the pids they wrote and removes the folder. SIGKILL at once: the cluster keeps nothing worth
 * saving, and on SIGTERM radosgw and the OSD take 7 to 11 s to shut down.
 */
async function stopCluster(dir: string): Promise<void> {
  const pids = await daemonPids(dir);
  for (const pid of pids) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (pids.some(isRunning)) {
    if (Date.now() > deadline) throw new Error(`Ceph daemons ${pids.filter(isRunning).join(', ')} survived SIGKILL`);
    await sleep(50);
  }
  await rm(dir, { recursive: true, force: true });
}
