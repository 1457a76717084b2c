// A pure single-page app: keys live in the URL fragment, which only the browser can read.
export const ssr = false;
export const prerender = false;
