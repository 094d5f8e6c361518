// Inhibit rules (Alertmanager's inhibit_rules): while a firing alert matches a rule's source
// selector, the alerts matching its target selector that carry the source's values of the
// `equal` labels are muted. The list, kept current by inhibit_rule.* events, and a form to create
// or edit one; viewers only read (the API would refuse them with 403 anyway).
import { Time, useForm, Field, labelNames } from '../ui.jsx';
import { useCan } from '../session.jsx';
import {
  useResourceList,
  useEditing,
  ListPage,
  EditorForm,
  saveResource,
  NameAndComment,
} from '../components/resource_list.jsx';
import { AlertsNav } from './alerts.jsx';

export const emptyInhibitRule = () => ({ name: '', comment: '', source: '', target: '', equal: '' });

// A stored rule as form values (keys named as the server's 422 fields, so errors land on them).
export const inhibitValues = (r) => ({
  name: r.name,
  comment: r.comment || '',
  source: r.source,
  target: r.target,
  equal: (r.equal || []).join(', '),
});

// The form's values as the API's body; a PATCH sends every field, so an emptied one is cleared.
export const inhibitBody = (v) => ({
  name: v.name.trim(),
  comment: v.comment.trim(),
  source: v.source.trim(),
  target: v.target.trim(),
  equal: labelNames(v.equal),
});

function InhibitForm({ rule, onSaved, onCancel }) {
  const form = useForm(rule ? inhibitValues(rule) : emptyInhibitRule());
  const work = async (values) => {
    onSaved(await saveResource('/api/v1/inhibit-rules', rule, inhibitBody(values)), rule ? 'saved' : 'created');
  };
  return (
    <EditorForm
      form={form}
      work={work}
      title={rule ? `Edit ${rule.name}` : 'New inhibit rule'}
      titleId="inhibit-form-title"
      submit={rule ? 'Save inhibit rule' : 'Create inhibit rule'}
      onCancel={onCancel}
    >
      <div class="grid">
        <NameAndComment form={form} comment="Why these alerts are muted" />
        <Field
          form={form}
          name="source"
          label="Source alerts"
          help={'While a firing alert matches this selector, e.g. {alertname="SiteDown"}.'}
        >
          <input
            {...form.bind('source')}
            autocomplete="off"
            spellcheck={false}
            required
            placeholder='{alertname="…"}'
          />
        </Field>
        <Field form={form} name="target" label="Target alerts" help={'The alerts it mutes, e.g. {severity="warning"}.'}>
          <input
            {...form.bind('target')}
            autocomplete="off"
            spellcheck={false}
            required
            placeholder='{severity="warning"}'
          />
        </Field>
        <Field
          form={form}
          name="equal"
          label="Equal labels"
          help="Label names (comma-separated) whose values the target must share with the source; a missing label equals a missing one. Empty: any target."
        >
          <input {...form.bind('equal')} autocomplete="off" spellcheck={false} placeholder="node, site" />
        </Field>
      </div>
    </EditorForm>
  );
}

const COLUMNS = [
  {
    label: 'Rule',
    cell: (r) => (
      <>
        <strong>{r.name}</strong>
        {r.comment && <div class="small">{r.comment}</div>}
        <div class="muted small">
          {r.created_by}, <Time at={r.created_at} />
        </div>
      </>
    ),
  },
  { label: 'Source', props: { 'data-label': 'Source' }, cell: (r) => <code>{r.source}</code> },
  { label: 'Target', props: { 'data-label': 'Target' }, cell: (r) => <code>{r.target}</code> },
  {
    label: 'Equal',
    props: { 'data-label': 'Equal' },
    cell: (r) => (r.equal?.length ? r.equal.map((l) => <span class="chip">{l}</span>) : <span class="muted">–</span>),
  },
];

export function InhibitRules() {
  const writer = useCan();
  // Changes by others (or by the API) show at once; an open form keeps what is typed in it.
  const list = useResourceList('/api/v1/inhibit-rules', {
    noun: 'inhibit rules',
    all: true,
    reloadOn: (e) => e.kind?.startsWith('inhibit_rule.'),
  });
  const editor = useEditing(list);
  const remove = (r) => {
    if (editor.item?.id === r.id) editor.close();
    list.remove(
      `/api/v1/inhibit-rules/${r.id}`,
      `Delete the inhibit rule “${r.name}”?`,
      `Inhibit rule ${r.name} deleted.`,
    );
  };
  return (
    <ListPage
      id="inhibit-title"
      title="Inhibit rules"
      nav={<AlertsNav here="/inhibit-rules" />}
      create={{ label: 'New inhibit rule', editing: editor }}
      list={list}
      table={{
        class: 'inhibits',
        columns: COLUMNS,
        row: (r) => ({ 'data-inhibit': r.id }),
        empty: 'No inhibit rules: only the built-in one mutes the alerts of a node’s checks while the node is down.',
        actions:
          writer &&
          ((r) => (
            <>
              <button type="button" onClick={() => editor.start(r)} aria-label={`Edit ${r.name}`}>
                Edit
              </button>
              <button type="button" class="danger" onClick={() => remove(r)} aria-label={`Delete ${r.name}`}>
                Delete
              </button>
            </>
          )),
      }}
    >
      <p class="muted small">
        While a source alert fires, the target alerts with the same values of the equal labels still change state but
        notify nobody, and show “inhibited by”. An alert matching both selectors is muted only by a source that does not
        match the target too.
        {!writer && ' Viewers can read these rules; operators and admins change them.'}
      </p>
      {writer && editor.open && (
        <InhibitForm
          key={editor.key}
          rule={editor.item}
          onCancel={editor.close}
          onSaved={(r, how) => editor.saved(`Inhibit rule ${r.name} ${how}.`)}
        />
      )}
    </ListPage>
  );
}
