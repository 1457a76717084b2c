/** Debian's Chromium, driven by Playwright (browser downloads are impossible on these machines). */
export const CHROMIUM_PATH = process.env.SEALDROP_CHROMIUM ?? '/usr/bin/chromium';

/** Flags that keep headless Chromium off the closed network and quiet on a 2-core machine. */
export const CHROMIUM_ARGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync'
];
