// End-to-end test of a session that ends elsewhere, against the real binary: the server closes
// the page's live link with 1008 and the page shows the login form, saying why, instead of
// reconnecting. Two such ends: a logout in another tab (the same session), and an admin
// deleting the user.
//   cd tests/e2e && TELLTALE_BIN=../../build/telltale node --test session.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DESKTOP, startServer, setupAdmin, adminApi, openPage, logIn } from './harness.mjs';

const USER = 'ola',
  PASS = 'operator-password-for-tests-3';

test('a session ended elsewhere sends the page to the login form', async () => {
  const server = await startServer();
  const { context, page, problems } = await openPage('session', DESKTOP);
  let sockets = 0;
  page.on('websocket', () => sockets++);
  const loggedOut = async () => {
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.getByText('Your session has ended').waitFor();
  };
  try {
    await setupAdmin(server);
    const api = await adminApi(server);
    const ola = (await api('POST', '/api/v1/users', { name: USER, role: 'operator', password: PASS })).data;

    await logIn(page, server, USER, PASS);
    const other = await context.newPage();
    await other.goto(server.base + '/');
    await other.locator('#conn.live').waitFor();
    const opened = sockets;
    await other.getByRole('button', { name: 'Log out' }).click();
    await loggedOut();
    // Longer than the first reconnect's backoff: no new socket.
    await page.waitForTimeout(1500);
    assert.equal(sockets, opened);
    await other.close();

    await logIn(page, server, USER, PASS);
    await api('DELETE', `/api/v1/users/${ola.id}`);
    await loggedOut();
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await server.stop();
  }
});
