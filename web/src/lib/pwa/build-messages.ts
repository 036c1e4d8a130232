/**
 * What the page and the service worker say to each other about the pinned build (pinned-build.ts). The page asks a
 * worker which build it holds, and tells a waiting worker that the user accepted it; a worker tells the pages when it
 * refused a build or when the server's page differs from the one it pinned.
 */
export interface BuildIdentity {
  version: string;
  buildHash: string;
}

/** Page to worker, with a port for the BuildIdentity answer. */
export const ASK_BUILD = 'coffer-ask-build';
/** Page to a waiting worker: the user accepted the new build, so it may take over. */
export const RUN_NEW_BUILD = 'coffer-run-new-build';

/** Worker to pages: a build whose files did not match its own hashes, which the worker refused to install. */
export interface BuildRefused extends BuildIdentity {
  type: 'coffer-build-refused';
  /** Each file that did not match, and what came instead. */
  problems: string[];
}

/** Worker to pages: the server's copy of the page differs from the pinned one, and no new build came with it. */
export interface ServerPageDiffers extends BuildIdentity {
  type: 'coffer-server-page-differs';
}

export type BuildNews = BuildRefused | ServerPageDiffers;

export function isBuildNews(data: unknown): data is BuildNews {
  const type = (data as { type?: unknown } | null)?.type;
  return type === 'coffer-build-refused' || type === 'coffer-server-page-differs';
}

export function isMessage(data: unknown, type: string): boolean {
  return (data as { type?: unknown } | null)?.type === type;
}
