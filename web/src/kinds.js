// The check kinds' descriptors (GET /api/v1/check-kinds): options, facts, charts, examples.
import { getOnce } from './api.js';

export const checkKinds = getOnce('/api/v1/check-kinds');
