// The signed-in user, for the pages: who it is (useSession) and what it may do (useCan,
// <CanWrite>). The one way to hide the controls that change things from viewers: the API
// refuses them anyway (403), the UI does not offer them.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

// {user, role} inside the app; main.jsx provides it once signed in.
export const Session = createContext(null);
export const useSession = () => useContext(Session);

// Roles by what they may change: viewers and api users (programs) only read in the UI.
const RANK = { viewer: 0, api: 0, operator: 1, admin: 2 };

// Whether the session may do what needs `role` ('operator': change things; 'admin': users and
// everyone's tokens). Outside a session (a component rendered alone, as the component tests
// do) nothing is hidden: the server decides.
export function can(session, role = 'operator') {
  return !session || (RANK[session.role] ?? 0) >= RANK[role];
}
export const useCan = (role) => can(useSession(), role);

// Its children for those who may do what needs `role`, else `otherwise` (nothing by default).
export function CanWrite({ role, otherwise = null, children }) {
  return useCan(role) ? children : otherwise;
}
