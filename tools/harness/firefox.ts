/**
 * Debian's Firefox ESR, driven over WebDriver BiDi with puppeteer-core (no downloaded browser, no outside network):
 * headless, saving every download straight into `downloadDir` without asking, and reaching for nothing on the network
 * but the pages it is sent to.
 */
import puppeteer, { type Browser } from 'puppeteer-core';

export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

export function launchFirefox(downloadDir: string): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: FIREFOX_PATH,
    headless: true,
    extraPrefsFirefox: {
      'browser.download.folderList': 2,
      'browser.download.dir': downloadDir,
      'browser.download.useDownloadDir': true,
      'browser.download.always_ask_before_handling_new_types': false,
      'app.update.enabled': false,
      'browser.safebrowsing.downloads.enabled': false,
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
    },
  });
}
