import type { UIMessage } from 'ai';

/**
 * Where a conversation survives a reload: its id in the URL (`?chat=<id>`, so a reload keeps it) and
 * its messages in sessionStorage. The server saves a conversation only when an answer ends, so the
 * question of an answer still streaming lives here until then; the answer itself is resumed from
 * the server (`useChat({ resume: true })`).
 */

export function conversationId(): string {
  const url = new URL(window.location.href);
  let id = url.searchParams.get('chat');
  if (!id || !/^[\w-]{1,100}$/.test(id)) {
    id = `w-${crypto.randomUUID()}`;
    url.searchParams.set('chat', id);
    window.history.replaceState(null, '', url);
  }
  return id;
}

const key = (id: string) => `polyfolio-chat:${id}`;

export function loadMessages(id: string): UIMessage[] {
  try {
    const raw = sessionStorage.getItem(key(id));
    const parsed: unknown = raw ? JSON.parse(raw) : [];
    return Array.isArray(parsed) ? (parsed as UIMessage[]) : [];
  } catch {
    return [];
  }
}

export function saveMessages(id: string, messages: UIMessage[]): void {
  try {
    sessionStorage.setItem(key(id), JSON.stringify(messages));
  } catch {
    // storage full or disabled: the conversation still works, it just will not survive a reload
  }
}
