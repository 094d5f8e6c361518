// WebSocket with jittered exponential backoff. onReopen: after a reconnect (events may be missed).
export function connectLive({ topics, onEvent, onState, onReopen }) {
  let ws, timer, attempt = 0, opened = false, stopped = false;
  const open = () => {
    ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '/api/v1/ws');
    ws.onopen = () => {
      attempt = 0;
      ws.send(JSON.stringify({ type: 'subscribe', topics }));
      onState('live');
      if (opened) onReopen();
      opened = true;
    };
    ws.onmessage = (e) => {
      try {
        const m = JSON.parse(e.data);
        if (m.type === 'event') onEvent(m);
      } catch { /* ignore malformed frames */ }
    };
    ws.onclose = () => {
      if (stopped) return;
      onState('reconnecting');
      timer = setTimeout(open, Math.min(30000, 500 * 2 ** attempt++) * (0.5 + Math.random() / 2));
    };
  };
  onState('reconnecting');
  open();
  return { close() { stopped = true; clearTimeout(timer); ws.close(); } };
}
