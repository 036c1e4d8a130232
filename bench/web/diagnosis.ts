/** The last round's diagnostic pass: Chromium's memory-infra dumps, traces and CPU profiles, and what they say. */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CdpPipe } from './cdp.ts';
import { descendants, kindOf, read, rendererRole } from './processes.ts';
import { type CpuProfile, type ProfileLine, summarizeProfile } from './profiles.ts';
import { type Session } from './session.ts';
import { BIG_NAME, fmt, MB, PROFILE_DIR } from './settings.ts';
import { nextDownload } from './transfer.ts';

export interface MemoryDump {
  /** Private footprint of every process, MB. */
  totalMB: number;
  /** Per process: its footprint and its largest allocators (Chromium's memory-infra names). */
  processes: string[];
}

export interface Diagnosis {
  uploadSeconds: number;
  downloadSeconds: number;
  upload: MemoryDump | null;
  download: MemoryDump | null;
  /** The renderers' PSS and ArrayBuffers just after each transfer, and after a forced garbage collection. */
  afterUpload: string;
  afterDownload: string;
  workerProfileSeconds: number;
  workerProfile: { totalMs: number; top: ProfileLine[] };
  serviceWorkerProfile: { totalMs: number; top: ProfileLine[] };
}

const hex = (value: string | undefined) => (value ? parseInt(value, 16) : 0);

/** The memory-infra dump, of those taken in `guids`, whose processes' private footprints add up highest. */
function largestDump(events: TraceEvent[], guids: string[]): MemoryDump | null {
  const names = new Map<number, string>();
  const threads = new Map<number, string[]>();
  for (const event of events.filter((e) => e.ph === 'M')) {
    if (event.name === 'process_name') names.set(event.pid, String(event.args.name));
    if (event.name === 'thread_name')
      threads.set(event.pid, [...(threads.get(event.pid) ?? []), String(event.args.name)]);
  }
  const nameOf = (pid: number) => {
    const name = names.get(pid) ?? String(pid);
    const has = (thread: string) => threads.get(pid)?.includes(thread);
    if (name !== 'Renderer') return name;
    return has('ServiceWorker thread')
      ? 'Renderer of the service worker'
      : has('DedicatedWorker thread')
        ? 'Renderer of the page and its workers'
        : name;
  };
  let best: MemoryDump | null = null;
  for (const guid of guids) {
    const perProcess = new Map<number, { footprint: number; allocators: Map<string, number> }>();
    for (const event of events.filter((e) => e.ph === 'v' && e.id === guid)) {
      const dumps = event.args.dumps as {
        process_totals?: { private_footprint_bytes?: string };
        allocators?: Record<string, { attrs?: { size?: { value: string } } }>;
      };
      const entry = perProcess.get(event.pid) ?? { footprint: 0, allocators: new Map<string, number>() };
      entry.footprint ||= hex(dumps.process_totals?.private_footprint_bytes);
      for (const [name, allocator] of Object.entries(dumps.allocators ?? {})) {
        const depth = name.split('/').length;
        const top =
          name.startsWith('partition_alloc/partitions/') && depth === 3
            ? name
            : name.startsWith('shared_memory/') && depth === 2
              ? 'shared_memory'
              : depth === 1 && !['partition_alloc', 'global', 'shared_memory'].includes(name)
                ? name
                : undefined;
        if (!top) continue;
        entry.allocators.set(top, (entry.allocators.get(top) ?? 0) + hex(allocator.attrs?.size?.value));
      }
      perProcess.set(event.pid, entry);
    }
    const totalMB = [...perProcess.values()].reduce((sum, entry) => sum + entry.footprint, 0) / MB;
    if (best && totalMB <= best.totalMB) continue;
    best = {
      totalMB,
      processes: [...perProcess]
        .sort((a, b) => b[1].footprint - a[1].footprint)
        .filter(([, entry]) => entry.footprint > 20 * MB)
        .map(
          ([pid, entry]) =>
            `${nameOf(pid)} ${(entry.footprint / MB).toFixed(0)} MB: ` +
            [...entry.allocators]
              .filter(([, bytes]) => bytes >= 3 * MB)
              .sort((a, b) => b[1] - a[1])
              .map(([name, bytes]) => `${name} ${(bytes / MB).toFixed(0)}`)
              .join(', '),
        ),
    };
  }
  return best;
}

/** PSS of each renderer role, MB. */
function rendererPss(): Map<string, number> {
  const found = new Map<string, number>();
  for (const pid of descendants(process.pid)) {
    if (kindOf(pid) !== 'renderer') continue;
    const pss = /^Pss:\s+(\d+) kB/m.exec(read(`/proc/${pid}/smaps_rollup`) ?? '');
    const role = rendererRole(pid);
    if (pss) found.set(role, (found.get(role) ?? 0) + (Number(pss[1]) * 1024) / MB);
  }
  return found;
}

/**
 * Is the memory still held garbage, or live? The page's and the service worker's renderers' PSS and the ArrayBuffers
 * of those JavaScript contexts, now and after HeapProfiler.collectGarbage in each.
 */
async function garbageCheck(cdp: CdpPipe, sessionIds: string[]): Promise<string> {
  const buffers = async () => {
    let total = 0;
    for (const sessionId of sessionIds) {
      const usage = await cdp.send<{ backingStorageSize: number }>('Runtime.getHeapUsage', {}, sessionId);
      total += usage.backingStorageSize;
    }
    return total / MB;
  };
  const pss = (map: Map<string, number>) =>
    ['renderer (page)', 'renderer (service worker)'].map((role) => `${role} ${fmt(map.get(role))}`).join(', ');
  const before = { pss: rendererPss(), buffers: await buffers() };
  for (const sessionId of sessionIds) {
    await cdp.send('HeapProfiler.enable', {}, sessionId);
    await cdp.send('HeapProfiler.collectGarbage', {}, sessionId);
    await cdp.send('HeapProfiler.disable', {}, sessionId);
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const after = { pss: rendererPss(), buffers: await buffers() };
  return (
    `PSS ${pss(before.pss)} MB, ArrayBuffers ${fmt(before.buffers)} MB; after a forced garbage collection ` +
    `PSS ${pss(after.pss)} MB, ArrayBuffers ${fmt(after.buffers)} MB`
  );
}

/** Ends the browser's trace and reads it back. */
async function endTrace(cdp: CdpPipe): Promise<TraceEvent[]> {
  const complete = new Promise<string>((resolve) =>
    cdp.listen((message) => {
      if (message.method !== 'Tracing.tracingComplete') return false;
      resolve((message.params as { stream: string }).stream);
      return true;
    }),
  );
  await cdp.send('Tracing.end');
  const stream = await complete;
  const pieces: Buffer[] = [];
  for (;;) {
    const chunk = await cdp.send<{ data: string; base64Encoded?: boolean; eof: boolean }>('IO.read', {
      handle: stream,
    });
    pieces.push(Buffer.from(chunk.data, chunk.base64Encoded ? 'base64' : 'utf8'));
    if (chunk.eof) break;
  }
  await cdp.send('IO.close', { handle: stream });
  const trace = JSON.parse(Buffer.concat(pieces).toString()) as TraceEvent[] | { traceEvents: TraceEvent[] };
  return Array.isArray(trace) ? trace : trace.traceEvents;
}

/**
 * What the page's main thread does, from a timeline trace of `ms`: the renderer main thread (CrRendererMain) with
 * the most task time, its tasks' total, and the time inside each kind of event nested in them (an event's time
 * minus that of the events nested in it), largest first.
 */
export async function traceMainThread(cdp: CdpPipe, ms: number): Promise<{ taskMs: number; top: ProfileLine[] }> {
  await cdp.send('Tracing.start', {
    traceConfig: {
      recordMode: 'recordAsMuchAsPossible',
      includedCategories: ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink', 'cc'],
    },
    transferMode: 'ReturnAsStream',
  });
  await new Promise((resolve) => setTimeout(resolve, ms));
  const events = await endTrace(cdp);
  const mains = new Set(
    events
      .filter((event) => event.ph === 'M' && event.name === 'thread_name' && event.args.name === 'CrRendererMain')
      .map((event) => `${event.pid}/${event.tid}`),
  );
  const byThread = new Map<string, TraceEvent[]>();
  for (const event of events) {
    const thread = `${event.pid}/${event.tid}`;
    if (event.ph !== 'X' || !mains.has(thread) || event.dur === undefined) continue;
    byThread.set(thread, [...(byThread.get(thread) ?? []), event]);
  }
  const isTask = (event: TraceEvent) => event.name === 'ThreadControllerImpl::RunTask' || event.name === 'RunTask';
  const byStart = (list: TraceEvent[]) => [...list].sort((a, b) => a.ts! - b.ts! || b.dur! - a.dur!);
  /** The time of the outermost events: tasks nest (RunTask inside ThreadControllerImpl::RunTask). */
  const taskTime = (list: TraceEvent[]) => {
    let total = 0;
    let end = -Infinity;
    for (const event of byStart(list)) {
      if (event.ts! < end) continue;
      total += event.dur!;
      end = event.ts! + event.dur!;
    }
    return total;
  };
  const busiest = [...byThread.values()].sort((a, b) => taskTime(b) - taskTime(a))[0] ?? [];
  // Self time: walk the events in start order with a stack of the ones still open.
  const self = new Map<string, number>();
  const stack: { event: TraceEvent; end: number; children: number }[] = [];
  const close = (until: number) => {
    while (stack.length > 0 && stack.at(-1)!.end <= until) {
      const { event, children } = stack.pop()!;
      if (!isTask(event)) self.set(event.name, (self.get(event.name) ?? 0) + event.dur! - children);
      if (stack.length > 0) stack.at(-1)!.children += event.dur!;
    }
  };
  for (const event of byStart(busiest)) {
    close(event.ts!);
    stack.push({ event, end: event.ts! + event.dur!, children: 0 });
  }
  close(Infinity);
  return {
    taskMs: taskTime(busiest) / 1000,
    top: [...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([what, micros]) => ({ what, ms: micros / 1000 })),
  };
}

interface TraceEvent {
  ph: string;
  name: string;
  pid: number;
  tid?: number;
  ts?: number;
  dur?: number;
  id?: string;
  args: Record<string, unknown>;
}

/**
 * Not timed for the results: the same upload (a new version of the file) and download again, with Chromium's
 * memory-infra dumps every second (private footprint per process, by allocator) and V8's CPU profiler in the upload
 * workers (for their first `profileMs`; they end with the upload) and in the service worker (the whole download).
 */
export async function diagnose(session: Session, file: { path: string }, profileMs: number): Promise<Diagnosis> {
  const { cdp, page } = session;
  await cdp.send('Tracing.start', {
    traceConfig: {
      recordMode: 'recordAsMuchAsPossible',
      traceBufferSizeInKb: 200_000,
      includedCategories: ['disabled-by-default-memory-infra'],
      memoryDumpConfig: { triggers: [] },
    },
    transferMode: 'ReturnAsStream',
  });
  // The phase of each dump, in order: the trace numbers its dumps afresh (not by the guids the requests return).
  const dumpPhases: ('upload' | 'download')[] = [];
  let phase: 'upload' | 'download' = 'upload';
  let dumping = false;
  const dumper = setInterval(() => {
    if (dumping) return;
    dumping = true;
    const during = phase;
    void cdp
      .send<{ success: boolean }>('Tracing.requestMemoryDump', { levelOfDetail: 'light' })
      .then(({ success }) => success && dumpPhases.push(during))
      .catch(() => undefined)
      .finally(() => (dumping = false));
  }, 1000);

  const workers: string[] = [];
  cdp.listen((message) => {
    const params = message.params as { sessionId: string; targetInfo?: { type: string } };
    if (message.method === 'Target.attachedToTarget' && params.targetInfo?.type === 'worker') {
      workers.push(params.sessionId);
      // The worker waits for the debugger: its profile starts with its first line.
      void cdp
        .send('Profiler.enable', {}, params.sessionId)
        .then(() => cdp.send('Profiler.start', {}, params.sessionId))
        .finally(() => cdp.send('Runtime.runIfWaitingForDebugger', {}, params.sessionId));
    }
    return false;
  });
  await page.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true });
  const uploadStart = performance.now();
  await page.setInputFiles('Files to upload', [file.path]);
  // Workers end with the upload, and their profiles with them: stopped about halfway through.
  await new Promise((resolve) => setTimeout(resolve, profileMs));
  const workerProfiles = await Promise.all(
    workers.map((sessionId) =>
      cdp
        .send<{ profile: CpuProfile }>('Profiler.stop', {}, sessionId)
        .then(({ profile }) => profile)
        .catch(() => undefined),
    ),
  );
  await page.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true });
  await page.waitForElement('h2', 'Uploads complete', 0);
  const uploadSeconds = (performance.now() - uploadStart) / 1000;
  await page.click('button', 'Clear finished');
  const { targetInfos } = await cdp.send<{ targetInfos: { targetId: string; type: string }[] }>('Target.getTargets');
  const serviceWorker = targetInfos.find((info) => info.type === 'service_worker');
  const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', {
    targetId: serviceWorker!.targetId,
    flatten: true,
  });
  const afterUpload = await garbageCheck(cdp, [page.sessionId, sessionId]);

  phase = 'download';
  await page.click('button', `Actions for ${BIG_NAME}`);
  const menuItem = await page.locate('[popover]:popover-open button', 'Download');
  await cdp.send('Profiler.enable', {}, sessionId);
  await cdp.send('Profiler.start', {}, sessionId);
  const downloadStart = performance.now();
  const downloaded = nextDownload(cdp);
  await page.clickAt(menuItem);
  await rm(join(session.downloads, await downloaded));
  const downloadSeconds = (performance.now() - downloadStart) / 1000;
  const { profile } = await cdp.send<{ profile: CpuProfile }>('Profiler.stop', {}, sessionId);
  clearInterval(dumper);
  const afterDownload = await garbageCheck(cdp, [sessionId]);

  await new Promise((resolve) => setTimeout(resolve, 1000));
  const events = await endTrace(cdp);
  const ids = [...new Set(events.filter((event) => event.ph === 'v').map((event) => event.id!))].sort(
    (a, b) => hex(a) - hex(b),
  );
  const idsOf = (wanted: string) =>
    ids.length === dumpPhases.length ? ids.filter((_, i) => dumpPhases[i] === wanted) : [];
  if (PROFILE_DIR) {
    await mkdir(PROFILE_DIR, { recursive: true });
    await writeFile(join(PROFILE_DIR, 'service-worker-download.cpuprofile'), JSON.stringify(profile));
    for (const [i, one] of workerProfiles.entries()) {
      if (one) await writeFile(join(PROFILE_DIR, `upload-worker-${i}.cpuprofile`), JSON.stringify(one));
    }
  }
  return {
    uploadSeconds,
    downloadSeconds,
    upload: largestDump(events, idsOf('upload')),
    download: largestDump(events, idsOf('download')),
    afterUpload,
    afterDownload,
    workerProfileSeconds: profileMs / 1000,
    workerProfile: summarizeProfile(
      workerProfiles.filter((one): one is CpuProfile => one !== undefined),
      15,
    ),
    serviceWorkerProfile: summarizeProfile([profile], 15),
  };
}
