/**
 * Coffer's pages run under `require-trusted-types-for 'script'` (server/app.ts): DOM sinks that can run script
 * (innerHTML, script and worker URLs) refuse plain strings. Svelte and SvelteKit bring their own named policies, for
 * compiled templates and the service worker's URL. This is the default policy, which the browser asks when the app
 * hands a sink a plain value: it lets through script URLs of Coffer's own origin (the bundled Web Workers, the Web
 * Workers' service worker) and nothing else, so HTML or script made from a string is refused wherever it comes from.
 */
interface TrustedTypePolicyFactory {
  defaultPolicy: unknown;
  createPolicy(name: string, rules: { createScriptURL(url: string): string }): unknown;
}

export function installDefaultTrustedTypesPolicy(): void {
  const factory = (globalThis as { trustedTypes?: TrustedTypePolicyFactory }).trustedTypes;
  if (!factory || factory.defaultPolicy) return;
  factory.createPolicy('default', {
    createScriptURL(url) {
      if (new URL(url, location.href).origin === location.origin) return url;
      throw new TypeError(`a script from ${url} is refused: Coffer runs only its own`);
    },
  });
}
