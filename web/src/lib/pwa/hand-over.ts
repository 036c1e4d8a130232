/**
 * Gives the service worker a message over a MessageChannel and waits until it answers, so that the page requests a
 * URL only once the worker knows what to answer there (a URL the worker missed would reach the server).
 */
export function handOver(worker: ServiceWorker, message: unknown, failure: string): Promise<void> {
  const channel = new MessageChannel();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(failure)), 10_000);
    channel.port1.onmessage = () => {
      clearTimeout(timer);
      resolve();
    };
    worker.postMessage(message, [channel.port2]);
  });
}
