import { createGraphProjector } from '../graph/projector.js';
import { createTextProjector } from './text-projector.js';
import type { Projector } from './types.js';
import { createVectorProjector } from './vector-projector.js';

/**
 * Every projection the sync engine keeps in step with SQL, in the order they run: text (the chunk rows
 * full-text search reads), vectors (follows text), graph. Each is idempotent
 * (delivery is at least once); a failing projector backs off only the entities it failed on.
 */
export function defaultProjectors(): Projector[] {
  return [createTextProjector(), createVectorProjector(), createGraphProjector()];
}
