/**
 * Screenshots of the main screens of the built web app (web/build), for docs/SCREENSHOTS.md: a real server on PGlite,
 * Chromium with a PRF virtual authenticator, and an account filled through the UI with realistic files. Each screen is
 * taken at desktop size (light and dark) and at phone size (light).
 *
 *   npx tsx tools/screenshots.ts      (or: npm run screenshots; web/build must exist)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright';
import { format, resolveConfig } from 'prettier';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './harness/chromium.ts';
import { startAppServer } from '../tests/e2e/app-server.ts';
import { addVirtualAuthenticator } from './harness/virtual-authenticator.ts';
import { ROOT } from '../tests/run-command.ts';

const OUT_DIR = join(ROOT, 'docs/screenshots');
const DOC = join(ROOT, 'docs/SCREENSHOTS.md');

interface Variant {
  name: 'desktop' | 'phone';
  options: BrowserContextOptions;
  /** Also taken with `prefers-color-scheme: dark`. */
  dark: boolean;
}

const COMMON: BrowserContextOptions = { locale: 'en-GB', timezoneId: 'Europe/Berlin', colorScheme: 'light' };
const VARIANTS: Variant[] = [
  { name: 'desktop', options: { ...COMMON, viewport: { width: 1280, height: 800 } }, dark: true },
  {
    name: 'phone',
    options: { ...COMMON, viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
    dark: false,
  },
];

/** The screens, in the order of the document. */
const SCREENS = [
  ['welcome', 'Welcome', 'The signed-out welcome screen: what Coffer is, and the ways in.'],
  [
    'recovery-kit',
    'Recovery kit',
    'The last step of sign-up: the recovery code, shown once, to be saved before going on.',
  ],
  [
    'dashboard',
    'Dashboard',
    'Home once unlocked: storage used, the latest files, what is shared, and recent security events.',
  ],
  ['files-list', 'Files, list view', 'A folder with subfolders and files of several kinds, as a sortable table.'],
  ['files-grid', 'Files, grid view', 'The same folder as a grid of tiles.'],
  ['preview-text', 'Text preview', 'A Markdown note, decrypted in the page and shown as text.'],
  ['preview-image', 'Image preview', 'A photo, decrypted in the page and shown in the preview dialog.'],
  ['versions', 'Versions', 'The versions of a file uploaded twice: each can be downloaded, an earlier one restored.'],
  ['move', 'Move', 'Moving a file: browse to the destination folder from the root.'],
  ['uploads', 'Upload panel', 'The upload panel with a large upload paused part-way, next to two finished ones.'],
  ['trash', 'Trash', 'Items moved to the trash, each with where it came from; restore or delete for good.'],
  ['settings', 'Settings', 'Passkeys, the key fingerprint, idle locking and sessions.'],
] as const;
type Screen = (typeof SCREENS)[number][0];

const NOTES_V1 = `# Notes

## Kitchen renovation
- Call the electrician about the extra sockets (before the 14th)
- Tiles: the grey ones from the showroom, 12 m² plus 10 % spare
- Budget so far: €8,400 of €10,000

## Reading list
- *The Overstory*, Richard Powers
- *Braiding Sweetgrass*, Robin Wall Kimmerer
`;
const NOTES_V2 = `${NOTES_V1}- *Piranesi*, Susanna Clarke

## Holiday
- Ferry to Naxos booked for 3 August, 07:30 from Piraeus
- Ask Anna to water the plants
- Pack: snorkel, sun hat, the good camera, chargers
`;

/** An SVG landscape: a sky gradient, a sun, hills and water, in one of a few palettes. */
function landscape(sky: [string, string, string], sun: string, hills: [string, string], water: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="800" viewBox="0 0 1200 800">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="${sky[0]}"/><stop offset="0.55" stop-color="${sky[1]}"/>
      <stop offset="1" stop-color="${sky[2]}"/>
    </linearGradient>
    <radialGradient id="glow"><stop offset="0" stop-color="${sun}" stop-opacity="0.9"/>
      <stop offset="1" stop-color="${sun}" stop-opacity="0"/></radialGradient>
    <linearGradient id="water" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="${water}"/><stop offset="1" stop-color="#0b1d33"/>
    </linearGradient>
  </defs>
  <rect width="1200" height="800" fill="url(#sky)"/>
  <circle cx="760" cy="470" r="260" fill="url(#glow)"/>
  <circle cx="760" cy="470" r="90" fill="${sun}"/>
  <path d="M0 470 C 180 380 300 420 430 450 S 700 360 860 430 S 1100 400 1200 440 V 560 H 0 Z" fill="${hills[0]}"/>
  <path d="M0 520 C 220 460 380 520 560 500 S 900 470 1200 520 V 580 H 0 Z" fill="${hills[1]}"/>
  <rect y="560" width="1200" height="240" fill="url(#water)"/>
  <g stroke="${sun}" stroke-linecap="round" opacity="0.55">
    <path d="M690 600 H 830" stroke-width="6"/><path d="M710 630 H 810" stroke-width="5"/>
    <path d="M725 662 H 795" stroke-width="4"/><path d="M740 700 H 780" stroke-width="3"/>
  </g>
</svg>`;
}

const IMAGES = {
  sunset: landscape(['#24315e', '#c0577a', '#f7a35c'], '#ffd98a', ['#4a2f5c', '#2d1f43'], '#3d4f7d'),
  morning: landscape(['#6fb1e0', '#a9d4ee', '#fde3b5'], '#fff4d6', ['#4f7f6a', '#2f5a4b'], '#3f86a8'),
  dusk: landscape(['#0f1c3f', '#3b3f7a', '#d77a61'], '#ffc07a', ['#1f2a44', '#141c30'], '#26406b'),
};

const TAX_RETURN_HTML = `<!doctype html><html><body style="font: 12pt Georgia, serif; margin: 2cm">
<h1 style="font-size: 20pt">Income tax return 2026</h1>
<p>Taxpayer: Alex Example · Tax ID 12 345 678 901</p>
<table style="border-collapse: collapse; width: 100%">
${[
  ['Employment income', '58,200.00'],
  ['Interest and dividends', '412.35'],
  ['Work-related expenses', '−1,230.00'],
  ['Charitable donations', '−350.00'],
  ['Taxable income', '57,032.35'],
]
  .map(
    ([k, v]) => `<tr><td style="border-bottom: 1px solid #999; padding: 6pt">${k}</td><td align="right">${v}</td></tr>`,
  )
  .join('\n')}
</table></body></html>`;

function randomBytes(length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)));
  }
  return out;
}

/** The files the account is filled with, written once to a temporary folder. */
async function makeFiles(browser: Browser, dir: string) {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const png = async (svg: string) => {
    await page.setContent(`<body style="margin: 0">${svg}</body>`);
    return page.screenshot({ type: 'png' });
  };
  const images = {
    sunset: await png(IMAGES.sunset),
    morning: await png(IMAGES.morning),
    dusk: await png(IMAGES.dusk),
  };
  await page.setContent(TAX_RETURN_HTML);
  const pdf = await page.pdf({ format: 'A4' });
  await page.close();

  const write = (path: string, content: Buffer | string) => {
    const full = join(dir, path);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, content);
    return full;
  };
  write('Holiday album/Naxos harbour.png', images.morning);
  write('Holiday album/Ferry at dusk.png', images.dusk);
  write('Holiday album/Itinerary.md', '# Naxos\n\n3 Aug ferry · 4–10 Aug Apollonas · 11 Aug back\n');
  return {
    album: join(dir, 'Holiday album'),
    root: [
      write('Tax return 2026.pdf', pdf),
      write('Budget.xlsx', randomBytes(38_412)),
      write('Sunset over the bay.png', images.sunset),
      write('Lease agreement.docx', randomBytes(126_530)),
      write('Interview with Maria.m4a', randomBytes(4_200_000)),
    ],
    notes: [write('v1/Notes.md', NOTES_V1), write('v2/Notes.md', NOTES_V2)],
    toTrash: [write('Draft invoice.pdf', pdf), write('Screenshot 2026-03-02.png', images.dusk)],
    large: write('Family videos 2025.zip', randomBytes(240 * 1024 * 1024)),
    alongside: [write('Passport scan.pdf', pdf), write('Flight tickets.pdf', pdf)],
  };
}
type Files = Awaited<ReturnType<typeof makeFiles>>;

class Shooter {
  constructor(
    readonly page: Page,
    readonly variant: Variant,
  ) {}

  /**
   * Saves the screen as it is now. A page (`tall`) is taken down to its end but at most two viewports high; a dialog,
   * only the viewport. With `dark`, it is taken again in the dark colour scheme.
   */
  async shot(screen: Screen, tall = false): Promise<void> {
    const schemes: ('light' | 'dark')[] = this.variant.dark ? ['light', 'dark'] : ['light'];
    for (const scheme of schemes) {
      await this.page.emulateMedia({ colorScheme: scheme });
      const path = join(OUT_DIR, `${screen}-${this.variant.name}${scheme === 'dark' ? '-dark' : ''}.png`);
      const { width, height } = this.page.viewportSize()!;
      const contentHeight = await this.page.evaluate(() => document.documentElement.scrollHeight);
      const clip = { x: 0, y: 0, width, height: Math.min(Math.max(height, contentHeight), 2 * height) };
      await this.page.screenshot({
        path,
        animations: 'disabled',
        caret: 'hide',
        ...(tall ? { fullPage: true, clip } : {}),
      });
      console.log(`  ${path.slice(ROOT.length)}`);
    }
    await this.page.emulateMedia({ colorScheme: 'light' });
  }
}

/** One account, filled through the UI, and every screen of it at one size. */
async function captureVariant(browser: Browser, origin: string, variant: Variant, files: Files): Promise<void> {
  console.log(`${variant.name}:`);
  const context = await browser.newContext(variant.options);
  const page = await context.newPage();
  try {
    await captureScreens(page, origin, variant, files);
  } catch (error) {
    // What the page looked like when a step failed, to see why.
    const path = join(tmpdir(), `coffer-screenshots-failed-${variant.name}.png`);
    await page.screenshot({ path }).catch(() => undefined);
    console.error(`failed; the page then: ${path}`);
    throw error;
  } finally {
    await context.close();
  }
}

async function captureScreens(page: Page, origin: string, variant: Variant, files: Files): Promise<void> {
  const context = page.context();
  page.setDefaultTimeout(30_000);
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await addVirtualAuthenticator(cdp, true);
  const shooter = new Shooter(page, variant);

  const link = (name: string) => page.getByRole('link', { name, exact: true });
  const button = (name: string) => page.getByRole('button', { name, exact: true });
  const row = (name: string) => page.getByRole('row').filter({ has: button(name) });
  const action = async (name: string, label: string) => {
    await page.getByLabel(`Actions for ${name}`, { exact: true }).click();
    // The menu opens below its button even near the bottom of the screen, where its last items are out of reach of
    // a pointer; an event reaches them anyway.
    await row(name).getByRole('button', { name: label, exact: true }).dispatchEvent('click');
  };
  const uploadAll = async (paths: string[], picker = 'Files to upload') => {
    await page.getByLabel(picker).setInputFiles(paths.length === 1 ? paths[0]! : paths);
    await page.getByRole('heading', { name: 'Uploads complete' }).waitFor();
    await button('Clear finished').click();
  };
  const newFolder = async (name: string) => {
    await button('New folder').click();
    await page.getByLabel('Name', { exact: true }).fill(name);
    await button('Create').click();
    await row(name).waitFor();
  };
  /** A destination of the app's navigation: on a phone, behind the menu button. */
  const goTo = async (name: string) => {
    if (await button('Menu').isVisible()) await button('Menu').click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
  };
  const openFiles = async () => {
    await goTo('Files');
    await page.getByRole('heading', { name: 'My files' }).waitFor();
  };

  // Signed out, then signing up.
  await page.goto(origin);
  await link('Create an account').waitFor();
  await shooter.shot('welcome', true);
  await link('Create an account').click();
  await button('Create a passkey').click();
  await page.getByTestId('recovery-code').waitFor();
  await shooter.shot('recovery-kit', true);
  await page.getByLabel('I have saved my recovery code').check();
  await button('Continue').click();
  await page.getByTestId('unlocked').waitFor();

  // A sign-out and a sign-in, so the dashboard lists a few security events.
  await button('Sign out').click();
  await link('Sign in with a passkey').click();
  await button('Sign in with a passkey').click();
  await page.getByTestId('unlocked').waitFor();

  // Folders and files of several kinds; a note uploaded twice has two versions.
  await openFiles();
  await uploadAll([files.album], 'Folder to upload');
  await newFolder('Work');
  await newFolder('Receipts');
  await uploadAll([...files.root, files.notes[0]!]);
  await uploadAll([files.notes[1]!]);
  await uploadAll(files.toTrash);
  await newFolder('Scans 2019');
  const trashed = ['Draft invoice.pdf', 'Screenshot 2026-03-02.png', 'Scans 2019'];
  for (const name of trashed) await page.getByLabel(`Select ${name}`, { exact: true }).check();
  await page.getByRole('region', { name: 'Selection' }).getByRole('button', { name: 'Move to trash' }).click();
  for (const name of trashed) await row(name).waitFor({ state: 'detached' });

  await link('Coffer').click();
  await page.getByRole('heading', { name: 'Recent security events' }).waitFor();
  await page.getByRole('link', { name: 'Notes.md' }).first().waitFor();
  await page.getByText(/ used$/).waitFor();
  await shooter.shot('dashboard', true);

  await openFiles();
  await row('Notes.md').waitFor();
  await shooter.shot('files-list', true);
  await button('Grid view').click();
  await page.getByRole('list', { name: 'Items in My files' }).waitFor();
  await shooter.shot('files-grid', true);
  await button('List view').click();

  await button('Notes.md').click();
  await page.getByTestId('preview-text').filter({ hasText: 'Piranesi' }).waitFor();
  await shooter.shot('preview-text');
  await button('Close').click();

  await button('Sunset over the bay.png').click();
  await page.getByRole('img', { name: 'Sunset over the bay.png' }).evaluate((img: HTMLImageElement) => img.decode());
  await shooter.shot('preview-image');
  await button('Close').click();

  await action('Notes.md', 'Versions');
  await page.getByText('Version 2 (current)').waitFor();
  await page.getByText('Version 1').waitFor();
  await shooter.shot('versions');
  await button('Close').click();

  await action('Budget.xlsx', 'Move');
  await page.getByRole('list', { name: 'Folders' }).getByRole('button', { name: /Work/ }).waitFor();
  await shooter.shot('move');
  await button('Cancel').click();

  await goTo('Trash');
  await page.getByRole('button', { name: 'Restore Scans 2019' }).waitFor();
  await shooter.shot('trash', true);

  // A passkey named as people name theirs, then the settings page.
  await goTo('Settings');
  await page.getByTestId('passkeys').getByRole('button', { name: 'Rename' }).click();
  await page.getByLabel('Name').fill(variant.name === 'phone' ? 'Pixel 9' : 'MacBook Pro Touch ID');
  await button('Save').click();
  await page
    .getByTestId('passkeys')
    .getByText(variant.name === 'phone' ? 'Pixel 9' : 'MacBook Pro Touch ID')
    .waitFor();
  await page.getByTestId('fingerprint').filter({ hasText: /\w/ }).waitFor();
  await page.getByTestId('sessions').getByRole('listitem').first().waitFor();
  await shooter.shot('settings', true);

  // Last, as it leaves the panel open: a large upload, paused part-way, beside two small ones that finish.
  await openFiles();
  await page.getByLabel('Files to upload').setInputFiles([files.large, ...files.alongside]);
  const progress = page.getByLabel('Progress of Family videos 2025.zip');
  for (let tries = 0; Number(await progress.getAttribute('value')) < 3; tries++) {
    if (tries > 600) throw new Error('The large upload did not start');
    await page.waitForTimeout(50);
  }
  await button('Pause Family videos 2025.zip').click();
  await page.locator('li[data-status="paused"]').waitFor();
  await page.locator('li[data-status="done"]').nth(1).waitFor();
  await row('Flight tickets.pdf').waitFor();
  await shooter.shot('uploads');
  await button('Cancel Family videos 2025.zip').click();
}

/** docs/SCREENSHOTS.md: each screen with its caption, and its pictures side by side. */
async function writeDoc(): Promise<void> {
  const columns = VARIANTS.flatMap((variant) => [
    { suffix: variant.name, title: variant.name === 'desktop' ? 'Desktop (1280×800)' : 'Phone (390×844)' },
    ...(variant.dark ? [{ suffix: `${variant.name}-dark`, title: 'Desktop, dark' }] : []),
  ]);
  const sections = SCREENS.map(([screen, title, caption]) =>
    [
      `## ${title}`,
      caption,
      `| ${columns.map((column) => column.title).join(' | ')} |`,
      `| ${columns.map(() => '---').join(' | ')} |`,
      `| ${columns.map((column) => `![${title}, ${column.title}](screenshots/${screen}-${column.suffix}.png)`).join(' | ')} |`,
    ].join('\n\n'),
  );
  const text = [
    '# Screenshots',
    'The main screens of the web app, made by `npm run screenshots` (tools/screenshots.ts) from the built app ' +
      '(web/build) on a throwaway server, in headless Chromium with a virtual passkey. Pages are cut at two screens ' +
      'high.',
    ...sections,
  ]
    .join('\n\n')
    .replace(/\|\n\n\|/g, '|\n|');
  const config = await resolveConfig(DOC);
  writeFileSync(DOC, await format(text, { ...config, filepath: DOC }));
}

async function main(): Promise<void> {
  // The app server serves web/build relative to the working directory.
  process.chdir(ROOT);
  mkdirSync(OUT_DIR, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'coffer-screenshots-'));
  const server = await startAppServer('web app');
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const files = await makeFiles(browser, dir);
    for (const variant of VARIANTS) await captureVariant(browser, server.origin, variant, files);
    await writeDoc();
    console.log(`wrote ${DOC.slice(ROOT.length)}`);
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
