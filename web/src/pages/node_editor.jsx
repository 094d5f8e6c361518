// Edit a node (operators): its name, type, address, labels and location, saved with PATCH
// /api/v1/nodes/{id}; the server's refusals land next to their fields. Deleting it too.
import { useEffect, useState } from 'preact/hooks';
import { get, patch } from '../api.js';
import { navigate } from '../router.js';
import { useForm, Field, FormAlert, useTitle, conflictAt } from '../ui.jsx';
import { CanWrite } from '../session.jsx';
import { useChoices, nodeType } from '../fields.js';
import { KeyValueField, toPairs, fromPairs } from '../components/key_value.jsx';
import { EditorError, confirmDelete } from '../components/resource_list.jsx';

// A stored node as form values (named as the server's 422 fields, so its errors land on them).
export const nodeValues = (n) => ({
  name: n.name,
  type: n.type,
  address: n.address || '',
  labels: toPairs(n.labels),
  'location.place': n.location?.place || '',
  'location.lat': n.location ? String(n.location.lat) : '',
  'location.lon': n.location ? String(n.location.lon) : '',
});

// The labels of a node's form; their errors are added to `fields`.
export function nodeLabels(v, fields) {
  try {
    return fromPairs(v.labels, 'labels');
  } catch (err) {
    fields.push(...err.fields);
    return {};
  }
}

// The form's values as the PATCH body: every field, so an emptied one is cleared (no latitude
// and longitude: no location). Throws form errors for what the server could not place.
export function nodeBody(v) {
  const fields = [];
  const labels = nodeLabels(v, fields);
  const [lat, lon, place] = ['location.lat', 'location.lon', 'location.place'].map((k) => v[k].trim());
  let location = null;
  if (lat || lon) {
    for (const [k, s] of [
      ['location.lat', lat],
      ['location.lon', lon],
    ])
      if (!s || !Number.isFinite(Number(s))) fields.push({ field: k, message: 'Write a number of degrees.' });
    location = { lat: Number(lat), lon: Number(lon), place: place || null };
  } else if (place) fields.push({ field: 'location.place', message: 'Needs a latitude and longitude too.' });
  if (fields.length) throw { fields, message: 'Please correct the highlighted fields.' };
  return { name: v.name.trim(), type: v.type, address: v.address.trim(), labels, location };
}

// The fields of a node that the overview's "Add node" asks for too: name, type, address, labels.
export function NodeFields({ form, editing }) {
  const types = useChoices('nodes', 'type');
  const type = form.values.type;
  return (
    <>
      <Field
        form={form}
        name="name"
        label="Name"
        help={
          'Unique among all nodes: it is the `node` label of the node’s series, alerts and silences.' +
          (editing ? ' Series written before a rename keep the old name.' : '')
        }
      >
        <input {...form.bind('name')} autocomplete="off" spellcheck={false} required />
      </Field>
      <Field form={form} name="type" label="Type">
        <select {...form.bind('type')}>
          {(!type || types.includes(type) ? types : [type, ...types]).map((t) => (
            <option value={t}>{nodeType(t)}</option>
          ))}
        </select>
      </Field>
      <Field form={form} name="address" label="Address" help="Host name or IP address; empty: none.">
        <input {...form.bind('address')} placeholder="10.0.0.5 or host.example" autocomplete="off" spellcheck={false} />
      </Field>
      <KeyValueField form={form} name="labels" label="Labels" />
    </>
  );
}

export function NodeEditor({ id }) {
  const [node, setNode] = useState(null);
  const [error, setError] = useState('');
  const form = useForm(nodeValues({ name: '', type: '' }));
  useTitle(node ? `Edit ${node.name}` : 'Edit node');
  useEffect(() => {
    get(`/api/v1/nodes/${id}`).then(
      (r) => {
        setNode(r.data);
        form.setValues(nodeValues(r.data));
      },
      (err) => setError(err.status === 404 ? 'This node does not exist (any more).' : err.message),
    );
  }, [id]);

  if (error) return <EditorError title="Edit node" error={error} back="/" backLabel="Back to the overview" />;
  if (!node) return <p class="loading">Loading…</p>;
  const work = async (v) => {
    try {
      await patch(`/api/v1/nodes/${id}`, nodeBody(v));
    } catch (err) {
      throw conflictAt(err, 'NODE_EXISTS', 'name');
    }
    navigate(`/nodes/${id}`);
  };
  const remove = async () => {
    try {
      if (await confirmDelete(`/api/v1/nodes/${id}`, `Delete node “${node.name}”? Its checks stay, without a node.`))
        navigate('/');
    } catch (err) {
      form.setAlert(`Could not delete ${node.name}: ${err.message}`);
    }
  };
  return (
    <section aria-labelledby="node-editor-title" class="editor">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/">Overview</a> › <a href={`/nodes/${id}`}>{node.name}</a> › <span>Edit</span>
      </nav>
      <h1 id="node-editor-title" tabIndex={-1}>
        Edit {node.name}
      </h1>
      <form noValidate onSubmit={(e) => form.submit(e, work)}>
        <FormAlert form={form} />
        <div class="grid">
          <NodeFields form={form} editing />
        </div>
        <fieldset class="grid">
          <legend>Location (for the map; empty: none)</legend>
          <Field form={form} name="location.place" label="Place">
            <input {...form.bind('location.place')} placeholder="Amsterdam, rack 2" autocomplete="off" />
          </Field>
          <Field form={form} name="location.lat" label="Latitude">
            <input {...form.bind('location.lat')} placeholder="52.37" autocomplete="off" inputMode="decimal" />
          </Field>
          <Field form={form} name="location.lon" label="Longitude">
            <input {...form.bind('location.lon')} placeholder="4.89" autocomplete="off" inputMode="decimal" />
          </Field>
        </fieldset>
        <div class="actions left">
          <CanWrite>
            <button type="submit" class="primary" disabled={form.busy}>
              Save
            </button>
          </CanWrite>
          <a class="button" href={`/nodes/${id}`}>
            Cancel
          </a>
          <CanWrite>
            <button type="button" class="danger" onClick={remove}>
              Delete node
            </button>
          </CanWrite>
        </div>
      </form>
    </section>
  );
}
