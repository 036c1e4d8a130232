/**
 * What a page knows of the pinned build (threat model row 11): the build it runs, a new one waiting for the user, and
 * the news the service worker sends about builds it refused or a server page that differs from the pinned one. The
 * worker checks the hashes (service-worker.ts); this asks and listens, and passes on the user's acceptance.
 */
import { ASK_BUILD, RUN_NEW_BUILD, isBuildNews, type BuildIdentity, type BuildNews } from './build-messages.ts';

interface BuildAnswer extends BuildIdentity {
  news: BuildNews | null;
}

function ask(worker: ServiceWorker): Promise<BuildAnswer> {
  const channel = new MessageChannel();
  const answer = new Promise<BuildAnswer>((resolve) => {
    channel.port1.onmessage = (event: MessageEvent<BuildAnswer>) => resolve(event.data);
  });
  worker.postMessage({ type: ASK_BUILD }, [channel.port2]);
  return answer;
}

class BuildPin {
  /** False where the browser runs no service worker for Coffer: nothing is pinned, each visit runs the server's copy. */
  supported = $state(true);
  /** The build the service worker pinned, which this page runs once the worker controls it. */
  running = $state<BuildIdentity | null>(null);
  /** Whether the pinned build served this page; false on the first visit, which the server's copy served. */
  controlled = $state(false);
  /** A new build, installed and checked, that waits for the user. */
  arrived = $state<BuildIdentity | null>(null);
  /** A refused build, or a server page that differs from the pinned one. */
  news = $state<BuildNews | null>(null);
  /** The user accepted the new build in another tab: this one still runs the previous build until it reloads. */
  replacedElsewhere = $state(false);
  #waiting: ServiceWorker | null = null;
  #accepted = false;
  #started = false;

  start(): void {
    if (this.#started) return;
    this.#started = true;
    const container = navigator.serviceWorker;
    if (!container) {
      this.supported = false;
      return;
    }
    container.addEventListener('message', (event) => {
      if (isBuildNews(event.data)) this.news = event.data;
    });
    container.startMessages();
    container.addEventListener('controllerchange', () => {
      if (this.#accepted) location.reload();
      else if (this.controlled) this.replacedElsewhere = true;
    });
    void this.#watch(container);
  }

  /** Runs the waiting build: its worker takes over every tab, and this one reloads into it. */
  accept(): void {
    this.#accepted = true;
    this.#waiting?.postMessage({ type: RUN_NEW_BUILD });
  }

  async #watch(container: ServiceWorkerContainer): Promise<void> {
    const registration = await container.ready;
    this.controlled = container.controller !== null;
    // A worker installed while a build already runs waits for the user; the first install runs at once.
    const offerOnceInstalled = (worker: ServiceWorker | null) => {
      if (worker?.state === 'installed' && container.controller) void this.#offer(worker);
      else worker?.addEventListener('statechange', () => offerOnceInstalled(worker), { once: true });
    };
    offerOnceInstalled(registration.waiting ?? registration.installing);
    registration.addEventListener('updatefound', () => offerOnceInstalled(registration.installing));
    const active = registration.active;
    if (active) {
      const { news, ...running } = await ask(active);
      this.running = running;
      this.news ??= news;
    }
    // The browser looked for a new build as this page loaded, maybe before it listened: a refusal would go unheard.
    await registration.update().catch(() => undefined);
  }

  async #offer(waiting: ServiceWorker): Promise<void> {
    if (this.#waiting === waiting) return;
    this.#waiting = waiting;
    const { version, buildHash } = await ask(waiting);
    this.arrived = { version, buildHash };
  }
}

export const buildPin = new BuildPin();
