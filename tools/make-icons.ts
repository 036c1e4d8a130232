/**
 * Renders web/static/icons/icon.svg into the PNG icons the web app manifest and app.html name, by screenshots in
 * Chromium, so that the PNGs are exactly the SVG. Run by hand when the logo changes, and commit the PNGs; the build does
 * not run it. Usage: tsx tools/make-icons.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './harness/chromium.ts';
import { ROOT } from '../tests/run-command.ts';

interface Rendering {
  file: string;
  size: number;
  /**
   * Square and opaque, the glyph shrunk into the middle: maskable icons are cropped by the platform to any shape
   * within the central 80% circle, and iOS fills an apple-touch-icon's transparent corners with black.
   */
  fullBleed: boolean;
}

const RENDERINGS: Rendering[] = [
  { file: 'icon-192.png', size: 192, fullBleed: false },
  { file: 'icon-512.png', size: 512, fullBleed: false },
  { file: 'icon-maskable-512.png', size: 512, fullBleed: true },
  { file: 'apple-touch-icon.png', size: 180, fullBleed: true },
  { file: 'favicon-32.png', size: 32, fullBleed: false },
];

const ICONS = join(ROOT, 'web/static/icons');
const svg = readFileSync(join(ICONS, 'icon.svg'), 'utf8');

const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  for (const { file, size, fullBleed } of RENDERINGS) {
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(`<body style="margin:0">${svg}</body>`);
    await page.evaluate(
      ({ size, fullBleed }) => {
        const icon = document.querySelector('svg')!;
        icon.setAttribute('width', String(size));
        icon.setAttribute('height', String(size));
        icon.style.display = 'block';
        if (fullBleed) {
          icon.querySelector('#background')!.setAttribute('rx', '0');
          icon
            .querySelector('#glyph')!
            .setAttribute('transform', 'translate(256 256) scale(0.85) translate(-256 -256)');
        }
      },
      { size, fullBleed },
    );
    await page.screenshot({ path: join(ICONS, file), omitBackground: true });
    console.log(`make-icons: wrote web/static/icons/${file} (${size}×${size})`);
  }
} finally {
  await browser.close();
}
