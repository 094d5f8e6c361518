// The check form's "Notify" part, with the rule behind it in plain sight: a check notifies
// through an ordinary check_state alert rule for that check alone (named "<check> down"),
// created or changed when the check is saved and linked from the form, where its severity, delay
// and escalation are edited like any rule's. The built-in CheckDown rule, which covers every
// check, is named beside it with the channels it sends to.
import { useEffect, useState } from 'preact/hooks';
import { getAll, post, patch } from '../api.js';
import { ChannelBoxes } from './channel_boxes.jsx';

export const notifyRuleName = (checkName) => `${checkName} down`;

// The check's own rule: kind check_state, this check's id, no selector.
export const ownRule = (rules, id) =>
  rules.find((r) => r.kind === 'check_state' && r.check_id === id && !r.check_selector) || null;

// The channels, the rules and the check's own rule; `chosen`: the form's channel ids (strings).
export function useNotify(id) {
  const [notify, setNotify] = useState({ channels: [], rules: [], own: null, chosen: [], loaded: false });
  useEffect(() => {
    let live = true;
    Promise.all([getAll('/api/v1/channels'), getAll('/api/v1/alert-rules')]).then(
      ([channels, rules]) => {
        const own = id ? ownRule(rules, id) : null;
        if (live) setNotify({ channels, rules, own, chosen: (own?.channels || []).map(String), loaded: true });
      },
      () => live && setNotify((n) => ({ ...n, loaded: true })),
    );
    return () => {
      live = false;
    };
  }, [id]);
  return [notify, setNotify];
}

// The alert rule body that makes `check` notify `channels` (ids).
export const notifyRuleBody = (check, channels) => ({
  name: notifyRuleName(check.name),
  kind: 'check_state',
  check_id: check.id,
  severity: 'critical',
  channels,
  annotations: { summary: 'Check {{ $labels.check }} is down' },
});

// After the check is saved: its own rule gets the chosen channels; it is created when channels
// are first chosen, and kept (with no channels) when they are all unticked. Returns the rule.
export async function saveNotify(check, notify) {
  const channels = notify.chosen.map(Number);
  const own = notify.own;
  if (own) {
    const same = [...own.channels].sort().join() === [...channels].sort().join();
    return same ? own : (await patch(`/api/v1/alert-rules/${own.id}`, { channels })).data;
  }
  if (!channels.length) return null;
  return (await post('/api/v1/alert-rules', notifyRuleBody(check, channels))).data;
}

const channelNames = (rule, channels) =>
  rule.channels.map((id) => channels.find((c) => c.id === id)?.name ?? `#${id}`).join(', ');

export function NotifyFields({ notify, setNotify, checkName }) {
  if (!notify.loaded) return null;
  const { channels, rules, own, chosen } = notify;
  const builtin = rules.find((r) => r.builtin === 'check_down' && r.enabled);
  const toggle = (id, on) =>
    setNotify((n) => ({ ...n, chosen: on ? [...n.chosen, id] : n.chosen.filter((x) => x !== id) }));
  return (
    <fieldset class="channel-choice notify" aria-describedby="notify-help">
      <legend>Notify when it is down</legend>
      {channels.length === 0 ? (
        <p class="help">
          No channels yet. <a href="/welcome/alerts">Choose where to send alerts</a>.
        </p>
      ) : (
        <ChannelBoxes channels={channels} chosen={chosen} name="notify" onToggle={toggle} />
      )}
      <p class="help" id="notify-help">
        {own ? (
          <>
            Sent by the alert rule <a href={`/alerts/rules/${own.id}`}>{own.name}</a>, which watches this check alone;
            edit it for severity, delay or escalation.
          </>
        ) : (
          <>
            Choosing channels creates the alert rule <strong>{notifyRuleName(checkName || '<name>')}</strong> for this
            check alone, an ordinary rule you can edit or delete.
          </>
        )}{' '}
        {builtin && (
          <>
            The built-in rule <a href={`/alerts/rules/${builtin.id}`}>{builtin.name}</a> covers every check and sends to{' '}
            {builtin.channels.length ? channelNames(builtin, channels) : 'nobody yet'}.
          </>
        )}
      </p>
    </fieldset>
  );
}
