// The check kinds' descriptors (GET /api/v1/check-kinds): options, facts, charts, examples. They
// are the binary's and do not change while it runs, so they are asked once; a failure is asked
// again next time.
import { get } from './api.js';

let kinds = null;

export function checkKinds() {
  kinds ??= get('/api/v1/check-kinds').then(
    (r) => r.data,
    (err) => {
      kinds = null;
      throw err;
    },
  );
  return kinds;
}
