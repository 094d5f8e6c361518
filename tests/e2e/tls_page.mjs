// Opens a Telltale served over HTTPS in Debian's Chromium and prints what the page got, as JSON,
// for tests/integration/test_tls.py: node tls_page.mjs URL SPKI_SHA256_BASE64 [USER PASSWORD]; with
// a user it logs in and waits for the UI's live connection (its WebSocket, wss://). Chromium takes the
// certificate with that public key and no other (not --ignore-certificate-errors), as a browser
// whose user accepted the hub's certificate.
import { chromium } from 'playwright-core';

const [url, spki, user, password] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', `--ignore-certificate-errors-spki-list=${spki}`],
});
try {
  const page = await browser.newPage();
  const response = await page.goto(url, { waitUntil: 'load', timeout: 20000 });
  const security = await response.securityDetails();
  let live = null;
  if (user) {
    await page.getByLabel('Username').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#conn.live').waitFor({ timeout: 15000 });
    live = true;
  }
  console.log(
    JSON.stringify({
      status: response.status(),
      hsts: response.headers()['strict-transport-security'] || null,
      protocol: security?.protocol || null,
      subject: security?.subjectName || null,
      title: await page.title(),
      secure: await page.evaluate(() => window.isSecureContext),
      live,
    }),
  );
} finally {
  await browser.close();
}
