import type { LanguageModel } from 'ai';
import { env } from '../env.js';
import { ApiError } from '../http/errors.js';
import { enforceRateLimit, type RateLimitResult, rateLimit } from '../http/rate-limit.js';
import { log } from '../log.js';

/**
 * Chat limits on the cache store: a per-minute request limit per user (or IP for anonymous callers)
 * and a daily token budget. The budget is a fixed window of one UTC day (windows are aligned to the
 * epoch, so each resets at UTC midnight), checked before a turn and charged with the turn's usage
 * when it ends. Anonymous budgets are keyed by IP: a discarded cookie must not buy a fresh budget.
 * The budget counts provider tokens only: the local extractive answerer costs nothing, so its answers
 * are neither checked against the budget nor charged to it; the per-minute limit alone governs it.
 */

const DAY_SECONDS = 86_400;

/** Who a limit applies to. */
export function limitSubject(userId: string | null, ip: string): string {
  return userId ? `user:${userId}` : `ip:${ip}`;
}

/** Whether answers of `model` spend the daily token budget: provider models do, the local answerer not. */
export function spendsTokenBudget(model: LanguageModel): boolean {
  // a bare model id is resolved by the AI Gateway: a provider
  return typeof model === 'string' || model.provider !== 'local';
}

/** 429 with Retry-After when the caller has sent too many chat requests this minute. */
export function enforceChatRateLimit(subject: string, now?: () => number): Promise<RateLimitResult> {
  return enforceRateLimit({
    key: `chat:${subject}`,
    limit: env().CHAT_RATE_LIMIT_PER_MINUTE,
    windowSeconds: 60,
    message: 'Too many chat messages. Please wait a minute and try again.',
    ...(now ? { now } : {}),
  });
}

/** 429 with Retry-After (seconds to UTC midnight) when today's token budget is spent. */
export async function enforceTokenBudget(subject: string, now?: () => number): Promise<void> {
  const budget = env().CHAT_DAILY_TOKEN_BUDGET;
  // cost 0 reads the day's count in the same single round trip a charge would take
  const used = await rateLimit({
    key: `chat-tokens:${subject}`,
    limit: budget,
    windowSeconds: DAY_SECONDS,
    cost: 0,
    ...(now ? { now } : {}),
  });
  if (used.remaining <= 0) {
    throw new ApiError('rate_limited', "Today's chat budget is used up. It resets at midnight UTC.", {
      headers: { 'retry-after': String(used.resetSeconds) },
    });
  }
}

/** Adds a turn's tokens to today's count; never throws (the answer has already been sent). */
export async function chargeTokens(subject: string, tokens: number, now?: () => number): Promise<void> {
  if (!Number.isFinite(tokens) || tokens <= 0) return;
  try {
    await rateLimit({
      key: `chat-tokens:${subject}`,
      limit: env().CHAT_DAILY_TOKEN_BUDGET,
      windowSeconds: DAY_SECONDS,
      cost: Math.ceil(tokens),
      ...(now ? { now } : {}),
    });
  } catch (err) {
    log.warn('could not record chat token usage', { subject, err });
  }
}
