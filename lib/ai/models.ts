import { createOpenAI } from '@ai-sdk/openai';
import { createGateway, type LanguageModel } from 'ai';
import { detectIntent } from '../chat/intent.js';
import { env } from '../env.js';
import { DEFAULT_CHAT_MODEL, modelInfo } from '../model-info.js';
import { LocalToolModel } from './local-tool-model.js';

export { type ModelInfo, modelInfo } from '../model-info.js';

let override: LanguageModel | undefined;

/**
 * The chat model, chosen from env: OpenAI (`OPENAI_API_KEY`, Responses API, `CHAT_MODEL`), the Vercel
 * AI Gateway (`AI_GATEWAY_API_KEY`), or the local extractive answerer (calling the chat tools by intent
 * rules, lib/chat/intent.ts) when no key is set. Built per
 * call (cheap: no connection is opened), so env changes in tests take effect.
 */
export function getChatModel(): LanguageModel {
  if (override) return override;
  const e = env();
  const info = modelInfo(e);
  if (info.provider === 'openai') {
    const openai = createOpenAI({
      ...(e.OPENAI_API_KEY ? { apiKey: e.OPENAI_API_KEY } : {}),
      ...(e.OPENAI_BASE_URL ? { baseURL: e.OPENAI_BASE_URL } : {}),
    });
    return openai(bareId(e.CHAT_MODEL ?? DEFAULT_CHAT_MODEL));
  }
  if (info.provider === 'gateway') {
    const gateway = createGateway(e.AI_GATEWAY_API_KEY ? { apiKey: e.AI_GATEWAY_API_KEY } : {});
    return gateway(info.chatModel);
  }
  return localChatModel();
}

/** The offline chat model: the extractive answerer behind the local tool router (no provider, no key). */
export function localChatModel(): LanguageModel {
  return new LocalToolModel({ intent: detectIntent });
}

/** Replaces the chat model (benchmarks, tests of pacing and cancellation); `undefined` resets. */
export function setChatModel(model: LanguageModel | undefined): void {
  override = model;
}

/** The id the chat model is reported under (health, stored message metadata). */
export function chatModelId(): string {
  if (override) return typeof override === 'string' ? override : override.modelId;
  return modelInfo().chatModel;
}

function bareId(id: string): string {
  return id.startsWith('openai/') ? id.slice('openai/'.length) : id;
}
