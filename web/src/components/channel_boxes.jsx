// The channels to notify as checkboxes: an alert rule's, its escalation steps', a check's.
// A checkbox per channel; `chosen` and onToggle(id, on) speak ids as strings.
export function ChannelBoxes({ channels, chosen, name, onToggle }) {
  return channels.map((c) => (
    <div class="field check">
      <label>
        <input
          type="checkbox"
          name={name}
          value={c.id}
          checked={chosen.includes(String(c.id))}
          onChange={(e) => onToggle(String(c.id), e.currentTarget.checked)}
        />{' '}
        {c.name} <span class="muted small">{c.kind}</span>
      </label>
    </div>
  ));
}
