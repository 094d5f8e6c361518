// The SNMPv3 user of a form (snmp/usm_json.h on the server): user name, authentication and
// privacy protocols with their passphrases, for device discovery and the trap receiver's users.
// Passphrases are write-only: a stored user's come back masked, so its form starts them empty
// and an empty one keeps what is stored.
import { Field } from '../ui.jsx';
import { useChoices } from '../fields.js';

// The protocols as their standards name them.
const PROTOCOLS = {
  md5: 'MD5',
  sha: 'SHA-1',
  sha224: 'SHA-224',
  sha256: 'SHA-256',
  sha384: 'SHA-384',
  sha512: 'SHA-512',
  des: 'DES',
  aes: 'AES-128',
  aes192: 'AES-192',
  aes256: 'AES-256',
};
export const protocolName = (p) => (!p || p === 'none' ? 'None' : (PROTOCOLS[p] ?? p.toUpperCase()));

export const emptyUsm = () => ({
  user: '',
  auth_protocol: '',
  auth_password: '',
  priv_protocol: '',
  priv_password: '',
});

// A stored user as form values: protocols '' for none, passphrases empty.
export const usmValues = (u) => ({
  ...emptyUsm(),
  user: u.user,
  auth_protocol: u.auth_protocol === 'none' ? '' : u.auth_protocol,
  priv_protocol: u.priv_protocol === 'none' ? '' : u.priv_protocol,
});

// The form's user as the API's fields. A protocol goes with its passphrase when one is typed
// (the server asks for it when nothing is stored); privacy only with authentication, as USM has
// it. For a `stored` user (a PATCH) a protocol set to none is sent as null, which removes it.
export function usmBody(v, stored) {
  const body = { user: v.user.trim() };
  for (const [protocol, password] of [
    ['auth_protocol', 'auth_password'],
    ['priv_protocol', 'priv_password'],
  ]) {
    const chosen = protocol === 'priv_protocol' && !v.auth_protocol ? '' : v[protocol];
    if (chosen) {
      body[protocol] = chosen;
      if (v[password]) body[password] = v[password];
    } else if (stored) {
      body[protocol] = null;
      body[password] = null;
    }
  }
  return body;
}

function Passphrase({ form, name, label, stored }) {
  return (
    <Field
      form={form}
      name={name}
      label={label}
      help={stored ? 'Empty: keep the stored one. Never shown again.' : '8 characters or more. Never shown again.'}
    >
      <input {...form.bind(name)} type="password" autocomplete="new-password" required={!stored} />
    </Field>
  );
}

// `resource`: the field table the protocols' choices come from ('discover/snmp',
// 'snmp/trap-users'); `stored`: the user being edited, if any.
export function UsmFields({ form, resource, stored }) {
  const auths = useChoices(resource, 'auth_protocol');
  const privs = useChoices(resource, 'priv_protocol');
  const v = form.values;
  const select = (name, label, choices) => (
    <Field form={form} name={name} label={label}>
      <select {...form.bind(name)}>
        <option value="">None</option>
        {choices.map((c) => (
          <option value={c}>{protocolName(c)}</option>
        ))}
      </select>
    </Field>
  );
  return (
    <>
      <Field form={form} name="user" label="User name">
        <input {...form.bind('user')} autocomplete="off" spellcheck={false} required />
      </Field>
      {select('auth_protocol', 'Authentication protocol', auths)}
      {v.auth_protocol && (
        <Passphrase form={form} name="auth_password" label="Authentication passphrase" stored={stored?.auth_password} />
      )}
      {v.auth_protocol && select('priv_protocol', 'Privacy protocol', privs)}
      {v.auth_protocol && v.priv_protocol && (
        <Passphrase form={form} name="priv_password" label="Privacy passphrase" stored={stored?.priv_password} />
      )}
    </>
  );
}
