// "Add a host" (admins): an enrolment token made here, and the one command to run on the host.
// The hosts that register with it appear below as they do (node events), and the tokens made
// before are listed for revoking.
import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { base } from '../base.js';
import { useLive } from '../live.js';
import { useForm, Field, Badge, Command } from '../ui.jsx';
import { useResourceList, ListPage, EditorForm } from '../components/resource_list.jsx';
import { tokenTable } from './settings.jsx';

// The command line that enrols a host with this hub, as the browser reached it.
export function agentCommand(origin, token) {
  return `telltale agent --hub ${origin} --token ${token}`;
}

// Hosts registered since `since` (RFC 3339, the server's clock): agents' nodes made then or later.
function NewHosts({ since }) {
  const { nodes } = useLive();
  const fresh = [...nodes.values()].filter(
    (n) => n.metadata?.agent_version && Date.parse(n.created_at) >= Date.parse(since),
  );
  if (!fresh.length)
    return (
      <p class="muted" role="status" id="waiting-for-host">
        Waiting for a host to register…
      </p>
    );
  return (
    <ul class="new-hosts" role="status">
      {fresh.map((n) => (
        <li data-host={n.name}>
          <Badge status={n.status} /> <a href={`/nodes/${n.id}`}>{n.name}</a>{' '}
          <span class="muted small">{n.metadata.os}</span>
        </li>
      ))}
    </ul>
  );
}

export function AddHost() {
  const list = useResourceList('/api/v1/enrolment-tokens', { noun: 'enrolment tokens', all: true });
  const [created, setCreated] = useState(null);
  const form = useForm({ name: 'hosts', expires_in: '7d' });
  const work = async (v) => {
    const body = { name: v.name.trim() };
    if (v.expires_in.trim()) body.expires_in = v.expires_in.trim();
    setCreated((await post('/api/v1/enrolment-tokens', body)).data);
    list.reload();
  };
  const command = created && agentCommand(location.origin + base, created.token);
  return (
    <ListPage
      id="add-host-title"
      title="Add a host"
      list={list}
      table={tokenTable({
        list,
        path: '/api/v1/enrolment-tokens',
        what: 'enrolment token',
        consequence: 'Hosts cannot register with it any more; those that did keep reporting.',
        className: 'tokens enrolment-tokens',
        empty: 'No enrolment tokens yet.',
        after: [{ label: 'Hosts', cell: (t) => t.uses }],
      })}
    >
      <p>
        A host reports its CPU, memory, disks, network, temperatures and containers through <code>telltale agent</code>:
        the same program as this server. Copy it to the host, then run the command below there (as root, or as a systemd
        service: see the agent's documentation). The host appears here within one collection interval.
      </p>
      <EditorForm
        form={form}
        work={work}
        class=""
        role="admin"
        submit="Make the command"
        onSubmit={() => setCreated(null)}
      >
        <div class="grid">
          <Field form={form} name="name" label="Token name" help="Which hosts it is for, e.g. rack-2.">
            <input {...form.bind('name')} autocomplete="off" spellcheck={false} required />
          </Field>
          <Field
            form={form}
            name="expires_in"
            label="Hosts may register for"
            help="A duration such as 7d; empty: until revoked."
          >
            <input {...form.bind('expires_in')} autocomplete="off" />
          </Field>
        </div>
      </EditorForm>
      {created && (
        <div class="notice" role="status">
          <p>Run this on the host. It is shown once; any number of hosts may use it until it expires.</p>
          <Command id="agent-command" command={command} />
          <NewHosts since={created.created_at} />
        </div>
      )}
    </ListPage>
  );
}
