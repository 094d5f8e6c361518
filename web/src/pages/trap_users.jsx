// Settings › SNMP trap users: the SNMPv3 users the trap receiver accepts (GET/POST/PATCH/DELETE
// /api/v1/snmp/trap-users; operators change them, everyone reads), and Telltale's own engine id
// (GET /api/v1/snmp/engine), which senders of informs localise their keys to. Passphrases are
// write-only: the list says whether one is set, never what it is.
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import { Time, useForm, Field, conflictAt } from '../ui.jsx';
import { useCan, useSession } from '../session.jsx';
import { useResourceList, useEditing, ListPage, EditorForm, saveResource } from '../components/resource_list.jsx';
import { UsmFields, emptyUsm, usmValues, usmBody, protocolName } from '../components/usm_fields.jsx';
import { SettingsNav } from './settings.jsx';

const PATH = '/api/v1/snmp/trap-users';

export const trapUserValues = (u) =>
  u ? { ...usmValues(u), engine_id: u.engine_id } : { ...emptyUsm(), engine_id: '' };
export const trapUserBody = (v, stored) => ({ ...usmBody(v, stored), engine_id: v.engine_id.trim() });

function EngineId({ engine }) {
  if (!engine) return null;
  return (
    <div class="notice engine-id">
      <p>
        Telltale’s engine id: <code id="engine-id">{engine.engine_id}</code>{' '}
        <button type="button" onClick={() => navigator.clipboard?.writeText(engine.engine_id)}>
          Copy
        </button>
      </p>
      <p class="small">
        A trap user’s engine id is the sending agent’s own (its <code>snmpEngineID</code>); for agents that send
        informs, it is this one.
      </p>
    </div>
  );
}

function TrapUserForm({ user, engine, onSaved, onCancel }) {
  const form = useForm(trapUserValues(user));
  const work = async (v) => {
    try {
      onSaved(await saveResource(PATH, user, trapUserBody(v, user)), user ? 'saved' : 'added');
    } catch (err) {
      throw conflictAt(err, 'TRAP_USER_EXISTS', 'user');
    }
  };
  return (
    <EditorForm
      form={form}
      work={work}
      title={user ? `Edit ${user.user}` : 'New trap user'}
      titleId="trap-user-form-title"
      submit={user ? 'Save trap user' : 'Add trap user'}
      onCancel={onCancel}
    >
      <div class="grid">
        <Field
          form={form}
          name="engine_id"
          label="Engine id"
          help="The sending agent’s engine id in hex, e.g. 0x80001f8880…"
        >
          <input {...form.bind('engine_id')} autocomplete="off" spellcheck={false} required />
        </Field>
        <UsmFields form={form} resource="snmp/trap-users" stored={user} />
      </div>
      {engine && (
        <p>
          <button type="button" onClick={() => form.set('engine_id', engine.engine_id)}>
            Use Telltale’s engine id (informs)
          </button>
        </p>
      )}
    </EditorForm>
  );
}

const security = (u) =>
  u.auth_protocol === 'none'
    ? 'No authentication'
    : `${protocolName(u.auth_protocol)}${u.priv_protocol === 'none' ? ', no privacy' : ` + ${protocolName(u.priv_protocol)}`}`;

const COLUMNS = [
  { label: 'User', cell: (u) => <strong>{u.user}</strong> },
  { label: 'Engine id', props: { 'data-label': 'Engine id' }, cell: (u) => <code>{u.engine_id}</code> },
  { label: 'Security', props: { 'data-label': 'Security' }, cell: security },
  { label: 'Changed', props: { 'data-label': 'Changed' }, cell: (u) => <Time at={u.updated_at} /> },
];

export function TrapUsers() {
  const writer = useCan();
  const admin = useSession()?.role === 'admin';
  const [engine, setEngine] = useState(null);
  const list = useResourceList(PATH, { noun: 'trap users', all: true });
  const editor = useEditing(list);
  useEffect(() => {
    get('/api/v1/snmp/engine').then(
      (r) => setEngine(r.data),
      (err) => list.setError(`Could not read the engine id: ${err.message}`),
    );
  }, []);
  const remove = (u) => {
    if (editor.item?.id === u.id) editor.close();
    list.remove(`${PATH}/${u.id}`, `Delete the trap user “${u.user}”?`, `Trap user ${u.user} deleted.`);
  };
  return (
    <ListPage
      id="settings-title"
      title="SNMP trap users"
      nav={<SettingsNav here="/settings/trap-users" admin={admin} />}
      create={{ label: 'New trap user', editing: editor }}
      list={list}
      table={{
        class: 'trap-users',
        columns: COLUMNS,
        row: (u) => ({ 'data-trap-user': u.user }),
        empty: 'No trap users yet: SNMPv3 traps and informs from unknown users are not recorded.',
        actions:
          writer &&
          ((u) => (
            <>
              <button type="button" onClick={() => editor.start(u)} aria-label={`Edit ${u.user}`}>
                Edit
              </button>
              <button type="button" class="danger" onClick={() => remove(u)} aria-label={`Delete ${u.user}`}>
                Delete
              </button>
            </>
          )),
      }}
    >
      <p class="muted">
        The SNMPv3 users whose traps and informs the receiver accepts, each for one sending engine. Received traps show
        among the events.
      </p>
      <EngineId engine={engine} />
      {writer && editor.open && (
        <TrapUserForm
          key={editor.key}
          user={editor.item}
          engine={engine}
          onCancel={editor.close}
          onSaved={(u, how) => editor.saved(`Trap user ${u.user} ${how}.`)}
        />
      )}
    </ListPage>
  );
}
