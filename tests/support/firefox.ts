/** Debian's Firefox ESR, driven over WebDriver BiDi by puppeteer-core (Playwright cannot drive it). */
export const FIREFOX_PATH = process.env.SEALDROP_FIREFOX ?? '/usr/bin/firefox-esr';
