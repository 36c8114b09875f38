import { describe, expect, it } from 'vitest';
import { LocalHashEmbedder } from '../../lib/ai/local-embedder.js';
import { getChatModel } from '../../lib/ai/models.js';
import { envSchema } from '../../lib/env.js';
import { LOCAL_EMBEDDING_MODEL_ID, modelInfo } from '../../lib/model-info.js';

const envOf = (vars: Record<string, string>) => envSchema.parse(vars);

describe('model selection', () => {
  it('happy: with no key the local models are named honestly', () => {
    expect(modelInfo(envOf({}))).toEqual({
      provider: 'local',
      chatModel: 'local-extractive-v1',
      embeddingModel: new LocalHashEmbedder().id,
    });
    expect(LOCAL_EMBEDDING_MODEL_ID).toBe(new LocalHashEmbedder().id);
  });

  it('happy: an OpenAI key selects OpenAI with CHAT_MODEL, the gateway key the gateway', () => {
    expect(modelInfo(envOf({ OPENAI_API_KEY: 'sk', CHAT_MODEL: 'gpt-x' }))).toEqual({
      provider: 'openai',
      chatModel: 'openai/gpt-x',
      embeddingModel: 'openai/text-embedding-3-small',
    });
    expect(modelInfo(envOf({ AI_GATEWAY_API_KEY: 'g', CHAT_MODEL: 'anthropic/claude-x' }))).toMatchObject({
      provider: 'gateway',
      chatModel: 'anthropic/claude-x',
    });
  });

  it('happy: the default chat model is the local answerer, a LanguageModelV4', () => {
    const model = getChatModel();
    expect(typeof model === 'object' && model.specificationVersion).toBe('v4');
    expect(typeof model === 'object' && model.modelId).toBe('local-extractive-v1');
  });
});
