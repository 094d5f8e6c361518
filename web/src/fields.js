// The field tables of the resources' bodies (GET /api/v1/fields, core/options.h): what the API
// checks each POST and PATCH against, keyed by the resource's path under /api/v1 ('nodes',
// 'alert-rules').
import { useEffect, useState } from 'preact/hooks';
import { getOnce } from './api.js';

export const fieldTables = getOnce('/api/v1/fields');

// What a node's type is called on screen; the API's word for one the UI does not know yet.
const NODE_TYPES = {
  baremetal: 'Bare metal',
  vm: 'Virtual machine',
  container: 'Container',
  network: 'Network device',
  iot: 'IoT device',
};
export const nodeType = (t) => NODE_TYPES[t] ?? t;

// The choices of a choice field of `resource`'s table: [] until the tables are in (and when they
// cannot be read: the server still names the choices in its 422).
export function useChoices(resource, field) {
  const [choices, setChoices] = useState([]);
  useEffect(() => {
    let live = true;
    fieldTables().then(
      (t) => live && setChoices(t[resource]?.find((f) => f.name === field)?.choices ?? []),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [resource, field]);
  return choices;
}
