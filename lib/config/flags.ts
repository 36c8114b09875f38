import * as z from 'zod';
import { rolloutBucket } from './hash.js';

/**
 * Feature flags with defaults in code: an empty or unreachable config store means these defaults.
 * A flag is on when `enabled` and, if it has a `rollout` percentage, the caller's stable bucket
 * (hash of flag + user or anonymous id) is below it. Kill switches are plain booleans.
 */

export interface FlagState {
  enabled: boolean;
  /** Percentage 0-100 of callers (by stable hash of their id) who get the flag; absent means everyone. */
  rollout?: number;
}

export const FLAGS = {
  'chat.enabled': {
    description: 'Kill switch: when off, POST /api/chat answers 503 and the widget should hide.',
    default: { enabled: true },
  },
  'search.enabled': {
    description: 'Kill switch: when off, GET /api/search answers 503.',
    default: { enabled: true },
  },
  'chat.graphExpansion': {
    description: 'Expand the concepts found by retrieval through the concept graph before answering.',
    default: { enabled: true },
  },
  'ui.conceptGraph': {
    description: 'Frontend: show the interactive concept graph (rolled out to a share of visitors).',
    default: { enabled: true, rollout: 50 },
  },
} as const satisfies Record<string, { description: string; default: FlagState }>;

export type FlagName = keyof typeof FLAGS;
export const FLAG_NAMES = Object.keys(FLAGS) as FlagName[];

export const flagStateSchema = z
  .object({ enabled: z.boolean(), rollout: z.number().int().min(0).max(100).optional() })
  .strict();

/** The stored overrides document: known flags only. */
export const flagOverridesSchema = z
  .object(
    Object.fromEntries(FLAG_NAMES.map((n) => [n, flagStateSchema.optional()])) as Record<
      FlagName,
      z.ZodOptional<typeof flagStateSchema>
    >,
  )
  .strict();

export type FlagOverrides = Partial<Record<FlagName, FlagState>>;

/**
 * Reads a stored overrides document leniently: whatever is valid is used, the rest falls back to the
 * defaults, so one bad value in KV never takes the site down.
 */
export function readOverrides(stored: unknown): FlagOverrides {
  const out: FlagOverrides = {};
  if (!stored || typeof stored !== 'object') return out;
  for (const name of FLAG_NAMES) {
    const parsed = flagStateSchema.safeParse((stored as Record<string, unknown>)[name]);
    if (parsed.success) out[name] = parsed.data;
  }
  return out;
}

export function flagStates(overrides: FlagOverrides): Record<FlagName, FlagState> {
  return Object.fromEntries(FLAG_NAMES.map((n) => [n, overrides[n] ?? FLAGS[n].default])) as Record<
    FlagName,
    FlagState
  >;
}

/** One flag for one caller. Without an id a partial rollout is off (no stable bucket to put them in). */
export function evaluateFlag(name: FlagName, state: FlagState, id?: string | null): boolean {
  if (!state.enabled) return false;
  if (state.rollout === undefined || state.rollout >= 100) return true;
  if (!id) return false;
  return rolloutBucket(name, id) < state.rollout;
}

export function evaluateFlags(overrides: FlagOverrides, id?: string | null): Record<FlagName, boolean> {
  const states = flagStates(overrides);
  return Object.fromEntries(FLAG_NAMES.map((n) => [n, evaluateFlag(n, states[n], id)])) as Record<
    FlagName,
    boolean
  >;
}
