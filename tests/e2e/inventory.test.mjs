// End-to-end test of the inventory pages against the real binary: a node edited in the UI (a
// name taken shown at the name, then name, address, labels and location saved and seen on its
// page); an SNMP device discovered from the UI against Debian's snmpd on a loopback port (a
// wrong community times out with a clear error, the right one gives the node, its interfaces
// and the check that polls them, up on the node's page); an SNMPv3 trap user added, listed
// without its passphrases, and edited. At a desktop and at a phone width.
//   cd tests/e2e && TELLTALE_BIN=../../build/telltale node --test inventory.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DESKTOP, PHONE, startServer, setupAdmin, adminApi, openPage, logIn } from './harness.mjs';

// No MIB files: the agent and the tools speak numbers only (as tests/integration/snmp_peers.py).
const NO_MIBS = ['-M', '/usr/share/snmp/mibs', '-m', ''];

async function freeUdpPort() {
  const s = createSocket('udp4');
  await new Promise((ok) => s.bind(0, '127.0.0.1', ok));
  const { port } = s.address();
  await new Promise((ok) => s.close(ok));
  return port;
}

// snmpd in the foreground on 127.0.0.1 at a free port, read-only community "public", with a
// configuration written into a temporary directory; resolves once it answers a GET.
async function startSnmpd() {
  const dir = mkdtempSync(join(tmpdir(), 'tt-e2e-snmpd-'));
  const port = await freeUdpPort();
  const conf = join(dir, 'snmpd.conf');
  writeFileSync(
    conf,
    `agentaddress udp:127.0.0.1:${port}\nrocommunity public 127.0.0.1\n` +
      'sysName telltale-lab\nsysContact noc@example.org\nsysLocation Rack 7, Lab\n',
  );
  const proc = spawn('snmpd', ['-C', '-c', conf, '-f', '-Lo', '-r', ...NO_MIBS, '-p', join(dir, 'pid')], {
    stdio: 'ignore',
    env: { ...process.env, SNMP_PERSISTENT_DIR: join(dir, 'persist') },
  });
  const stop = async () => {
    if (proc.exitCode === null) {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const address = `127.0.0.1:${port}`;
  for (const end = Date.now() + 15000; Date.now() < end;) {
    const r = spawnSync('snmpget', [
      '-v2c',
      '-c',
      'public',
      '-t',
      '0.3',
      '-r',
      '0',
      ...NO_MIBS,
      address,
      '1.3.6.1.2.1.1.5.0',
    ]);
    if (r.status === 0) return { address, stop };
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error('snmpd did not answer within 15 s');
}

let snmpd;
before(async () => {
  snmpd = await startSnmpd();
});
after(() => snmpd?.stop());

async function flow(name, viewport) {
  const server = await startServer();
  const { context, page, problems, shot, noHScroll } = await openPage(name, viewport);
  try {
    await setupAdmin(server);
    const api = await adminApi(server);
    const node = (
      await api('POST', '/api/v1/nodes', { name: 'db-1', type: 'vm', address: '10.0.0.9', labels: { env: 'test' } })
    ).data;
    await api('POST', '/api/v1/nodes', { name: 'taken', type: 'vm' });
    await logIn(page, server);

    // (a) Edit a node.
    await page.goto(`${server.base}/nodes/${node.id}`);
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await page.getByRole('heading', { name: 'Edit db-1' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('taken');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#f-name-err', { hasText: /taken/ }).waitFor();
    assert.equal(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid'), 'true');
    await page.getByLabel('Name', { exact: true }).fill('db-2');
    await page.getByLabel('Address').fill('10.0.0.10');
    await page.getByLabel('Labels value 1').fill('prod');
    await page.getByLabel('Labels key 2').fill('site');
    await page.getByLabel('Labels value 2').fill('ams');
    await page.getByLabel('Place').fill('Amsterdam');
    await page.getByLabel('Latitude').fill('52.37');
    await page.getByLabel('Longitude').fill('4.89');
    await noHScroll('the node editor');
    await shot('1-node-editor');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'db-2', exact: true }).waitFor();
    assert.equal(new URL(page.url()).pathname, `/nodes/${node.id}`);
    const facts = page.locator('dl.facts');
    await facts.locator('code', { hasText: '10.0.0.10' }).waitFor();
    await facts.locator('.chip', { hasText: 'env=prod' }).waitFor();
    await facts.locator('.chip', { hasText: 'site=ams' }).waitFor();
    await facts.getByText('Amsterdam · 52.37, 4.89').waitFor();
    const stored = (await api('GET', `/api/v1/nodes/${node.id}`)).data;
    assert.deepEqual(
      [stored.name, stored.address, stored.labels, stored.location],
      ['db-2', '10.0.0.10', { env: 'prod', site: 'ams' }, { lat: 52.37, lon: 4.89, place: 'Amsterdam' }],
    );

    // (b) Discover an SNMP device: first with a wrong community (no answer), then the right one.
    await page.goto(server.base + '/');
    await page.getByRole('link', { name: 'Discover an SNMP device' }).click();
    await page.getByRole('heading', { name: 'Discover an SNMP device' }).waitFor();
    await page.getByLabel('Address').fill(snmpd.address);
    await page.getByLabel('Community').fill('wrong');
    await page.getByLabel('Timeout per try').fill('300ms');
    // v3 asks for its user instead of a community.
    await page.getByLabel('SNMP version').selectOption('3');
    await page.getByLabel('User name').waitFor();
    await page.getByLabel('Authentication protocol').selectOption('sha256');
    await page.getByLabel('Authentication passphrase').waitFor();
    assert.equal(await page.getByLabel('Community').count(), 0);
    await page.getByLabel('SNMP version').selectOption('2c');
    await page.getByRole('button', { name: 'Scan' }).click();
    await page.getByRole('alert').filter({ hasText: 'Nothing answered' }).waitFor();
    await page.getByLabel('Community').fill('public');
    await page.getByRole('button', { name: 'Scan' }).click();
    const found = page.locator('.discovered');
    await found.getByRole('heading', { name: 'Found telltale-lab' }).waitFor();
    await found.getByText(/Node telltale-lab created\./).waitFor();
    await found.getByText('Rack 7, Lab').waitFor();
    await found.locator('tr[data-interface="lo"]').waitFor();
    await found.getByRole('link', { name: 'telltale-lab interfaces' }).waitFor();
    await noHScroll('the discovery');
    await shot('2-discovered');
    await found.getByRole('link', { name: 'Go to the node' }).click();
    await page.getByRole('heading', { name: 'telltale-lab', exact: true }).waitFor();
    const check = page.locator('tr[data-check="telltale-lab interfaces"]');
    await check.locator('.badge.s-up').waitFor({ timeout: 20000 });
    await shot('3-discovered-node');

    // (c) An SNMPv3 trap user: listed, its passphrases never shown.
    await page.goto(server.base + '/settings');
    await page.getByRole('link', { name: 'SNMP trap users' }).click();
    await page.getByRole('heading', { name: 'SNMP trap users' }).waitFor();
    const engine = (await api('GET', '/api/v1/snmp/engine')).data.engine_id;
    await page.locator('#engine-id', { hasText: engine }).waitFor();
    await page.getByRole('button', { name: 'New trap user' }).click();
    await page.getByLabel('Engine id').fill('0x80001f8880aabbccdd');
    await page.getByLabel('User name').fill('alice');
    await page.getByLabel('Authentication protocol').selectOption('sha256');
    await page.getByLabel('Authentication passphrase').fill('auth-secret-123');
    await page.getByLabel('Privacy protocol').selectOption('aes');
    await page.getByLabel('Privacy passphrase').fill('priv-secret-456');
    await page.getByRole('button', { name: 'Add trap user' }).click();
    await page.getByText('Trap user alice added.').waitFor();
    const row = page.locator('tr[data-trap-user="alice"]');
    await row.getByText('SHA-256 + AES-128').waitFor();
    await row.getByText('80001f8880aabbccdd').waitFor();
    await noHScroll('the trap users');
    await shot('4-trap-users');
    // Editing starts with empty passphrases; dropping privacy keeps the authentication's.
    await row.getByRole('button', { name: 'Edit alice' }).click();
    assert.equal(await page.getByLabel('Authentication passphrase').inputValue(), '');
    await page.getByLabel('Privacy protocol').selectOption('');
    await page.getByRole('button', { name: 'Save trap user' }).click();
    await page.getByText('Trap user alice saved.').waitFor();
    await row.getByText('SHA-256, no privacy').waitFor();
    const body = await page.locator('main').textContent();
    for (const secret of ['auth-secret-123', 'priv-secret-456', '********']) assert.ok(!body.includes(secret), secret);
    const user = (await api('GET', '/api/v1/snmp/trap-users')).data[0];
    assert.deepEqual(
      [user.auth_protocol, user.auth_password, user.priv_protocol, user.priv_password],
      ['sha256', '********', 'none', null],
    );
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await server.stop();
  }
}

test('a node edited, an SNMP device discovered and a trap user added in the UI, desktop', () =>
  flow('inventory-desktop', DESKTOP));
test('a node edited, an SNMP device discovered and a trap user added in the UI, phone', () =>
  flow('inventory-phone', PHONE));
