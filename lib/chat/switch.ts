import { CONFIG_KEYS } from '../config/keys.js';
import { getConfigStore } from '../stores/config/index.js';

/** Whether the `chat.enabled` kill switch is on (default on; an unreachable config store means on). */
export async function chatEnabled(): Promise<boolean> {
  try {
    const [flags] = await (await getConfigStore()).getMany([CONFIG_KEYS.flags]);
    const value = (flags as Record<string, unknown> | null)?.['chat.enabled'];
    return value !== false;
  } catch {
    return true;
  }
}
