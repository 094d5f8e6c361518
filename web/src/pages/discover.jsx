// Discover an SNMP device (operators): scans an address with POST /api/v1/discover/snmp, which
// reads its system group and interface table and creates its node (or updates the node with
// that address); then, when asked, an SNMP check that polls its interfaces with the same
// credentials. Shows what was found, with the way to the node's page.
import { useState } from 'preact/hooks';
import { post, getAll } from '../api.js';
import { useForm, Field, FormAlert, Page } from '../ui.jsx';
import { useCan } from '../session.jsx';
import { bitRate } from '../components/chart.jsx';
import { UsmFields, emptyUsm, usmBody } from '../components/usm_fields.jsx';

export const emptyDiscovery = () => ({
  address: '',
  version: '2c',
  community: 'public',
  context: '',
  timeout: '',
  monitor: true,
  ...emptyUsm(),
});

// The credentials of the form, as both discovery and the SNMP check take them.
function credentials(v) {
  if (v.version !== '3') return { version: v.version, community: v.community };
  const out = { version: '3', ...usmBody(v) };
  if (v.context.trim()) out.context = v.context.trim();
  return out;
}

// The form's values as the discovery's body: the node is always created or updated.
export function discoveryBody(v) {
  const body = { address: v.address.trim(), ...credentials(v), create_node: true };
  if (v.timeout.trim()) body.timeout = v.timeout.trim();
  return body;
}

// The SNMP check that polls the discovered node's interfaces.
export const interfacesCheck = (v, node) => ({
  name: `${node.name} interfaces`,
  kind: 'snmp',
  target: v.address.trim(),
  node_id: node.id,
  options: { ...credentials(v), interfaces: true },
});

// What to do about a failed scan, after the server's words.
const HINTS = {
  SNMP_TIMEOUT:
    'Nothing answered: check the address and port, that the agent runs and lets this server in, and the community or user.',
  SNMP_UNREACHABLE: 'The address cannot be reached from this server.',
  SNMP_UNKNOWN_USER: 'The agent does not know this user.',
  SNMP_WRONG_DIGEST: 'The authentication protocol or passphrase is not the agent’s.',
  SNMP_DECRYPTION_FAILED: 'The privacy protocol or passphrase is not the agent’s.',
  SNMP_UNSUPPORTED_SECURITY_LEVEL: 'The agent wants another security level for this user.',
};

// Seconds as "3 d 4 h", "2 h 5 min" or "40 s".
export function upFor(s) {
  if (s == null) return '–';
  const d = Math.floor(s / 86400),
    h = Math.floor((s % 86400) / 3600),
    m = Math.floor((s % 3600) / 60);
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  return m ? `${m} min` : `${Math.floor(s)} s`;
}

const status = (s) => (s == null ? '–' : String(s));

function Found({ found }) {
  const { system, interfaces, node, node_created, check } = found;
  return (
    <section class="card discovered" aria-labelledby="found-title">
      <h2 id="found-title">Found {system.name || node.address}</h2>
      <p role="status">
        Node <a href={`/nodes/${node.id}`}>{node.name}</a> {node_created ? 'created' : 'updated'}.{' '}
        {check?.created && (
          <>
            Check <a href={`/checks/${check.created.id}`}>{check.created.name}</a> created: it polls the interfaces’
            traffic and state.
          </>
        )}
        {check?.existing && <>Its interfaces are polled by the check {check.existing.name} already.</>}
      </p>
      {check?.error && (
        <p class="error" role="alert">
          The node is saved, but the check of its interfaces is not: {check.error}
        </p>
      )}
      <dl class="facts">
        <dt>Description</dt>
        <dd>{system.descr || '–'}</dd>
        <dt>Contact</dt>
        <dd>{system.contact || '–'}</dd>
        <dt>Location</dt>
        <dd>{system.location || '–'}</dd>
        <dt>Up for</dt>
        <dd>{upFor(system.uptime)}</dd>
      </dl>
      <h3>Interfaces ({interfaces.length})</h3>
      {interfaces.length ? (
        <div class="table-scroll">
          <table class="interfaces">
            <thead>
              <tr>
                <th scope="col">Index</th>
                <th scope="col">Name</th>
                <th scope="col">Description</th>
                <th scope="col">Speed</th>
                <th scope="col">MAC address</th>
                <th scope="col">Admin state</th>
                <th scope="col">Link state</th>
              </tr>
            </thead>
            <tbody>
              {interfaces.map((i) => (
                <tr data-interface={i.name || i.descr}>
                  <td class="num">{i.index}</td>
                  <td>{i.name || '–'}</td>
                  <td>{[i.descr, i.alias].filter(Boolean).join(' · ') || '–'}</td>
                  <td>{i.speed_bps ? bitRate(i.speed_bps) : '–'}</td>
                  <td>{i.mac ? <code>{i.mac}</code> : '–'}</td>
                  <td>{status(i.admin_status)}</td>
                  <td>{status(i.oper_status)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p>The agent lists no interfaces.</p>
      )}
      <p>
        <a class="button primary" href={`/nodes/${node.id}`}>
          Go to the node
        </a>
      </p>
    </section>
  );
}

// The check of the node's interfaces: made unless one polls them already; a failure is shown
// with the node (which is saved).
async function monitor(v, node) {
  try {
    const checks = await getAll('/api/v1/checks', { node: node.id });
    const existing = checks.find((c) => c.kind === 'snmp' && c.options?.interfaces);
    if (existing) return { existing };
    return { created: (await post('/api/v1/checks', interfacesCheck(v, node))).data };
  } catch (err) {
    return { error: err.message };
  }
}

export function Discover() {
  const writer = useCan();
  const form = useForm(emptyDiscovery());
  const [found, setFound] = useState(null);
  const v = form.values;
  const work = async (values) => {
    let result;
    try {
      result = (await post('/api/v1/discover/snmp', discoveryBody(values))).data;
    } catch (err) {
      if (HINTS[err.code]) err.message = `${err.message.replace(/\.$/, '')}. ${HINTS[err.code]}`;
      throw err;
    }
    const check = values.monitor ? await monitor(values, result.node) : null;
    setFound({ ...result, check });
  };
  return (
    <Page id="discover-title" title="Discover an SNMP device">
      <p class="muted">
        Reads the device’s name, description and interfaces over SNMP, and adds it as a network node (or updates the
        node with this address).
      </p>
      <form
        class="card editor-form"
        noValidate
        onSubmit={(e) => {
          setFound(null);
          form.submit(e, work);
        }}
      >
        <FormAlert form={form} />
        <div class="grid">
          <Field form={form} name="address" label="Address" help="Host name or IP address, with :port if not 161.">
            <input
              {...form.bind('address')}
              placeholder="192.0.2.1 or switch.example:161"
              autocomplete="off"
              spellcheck={false}
              required
            />
          </Field>
          <Field form={form} name="version" label="SNMP version">
            <select {...form.bind('version')}>
              <option value="2c">v2c</option>
              <option value="1">v1</option>
              <option value="3">v3</option>
            </select>
          </Field>
          {v.version === '3' ? (
            <>
              <UsmFields form={form} resource="discover/snmp" />
              <Field form={form} name="context" label="Context" help="Empty: the default context.">
                <input {...form.bind('context')} autocomplete="off" spellcheck={false} />
              </Field>
            </>
          ) : (
            <Field form={form} name="community" label="Community">
              <input {...form.bind('community')} type="password" autocomplete="off" required />
            </Field>
          )}
          <Field form={form} name="timeout" label="Timeout per try" help="A duration such as 2s (the default).">
            <input {...form.bind('timeout')} placeholder="2s" autocomplete="off" />
          </Field>
        </div>
        <div class="field check">
          <label>
            <input type="checkbox" {...form.bind('monitor')} checked={!!v.monitor} value={undefined} /> Monitor its
            interfaces (an SNMP check with these credentials)
          </label>
        </div>
        <div class="actions left">
          {writer && (
            <button type="submit" class="primary" disabled={form.busy}>
              {form.busy ? 'Scanning…' : 'Scan'}
            </button>
          )}
          <span role="status" class="muted">
            {form.busy ? `Scanning ${v.address.trim()}…` : ''}
          </span>
        </div>
      </form>
      {found && <Found found={found} />}
    </Page>
  );
}
