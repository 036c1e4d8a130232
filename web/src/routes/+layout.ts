// A single-page app: everything renders in the browser, where the keys are.
export const ssr = false;
export const prerender = false;
