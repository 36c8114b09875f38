import { useChat } from '@ai-sdk/react';
import { DefaultChatTransport, type UIMessage } from 'ai';
import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { AnswerText, type SourcePart, Sources } from './citations';
import { loadMessages, saveMessages } from './session';
import { type ToolPart, ToolView } from './tools';

/**
 * A chat widget on `useChat` from @ai-sdk/react, against POST /api/chat: answers stream as text with
 * `[n]` citations turned into links, tool parts render as they arrive (a learning path as a list),
 * Stop stops the answer on the server too, and a reload mid-answer resumes it (`resume: true`).
 */
export function ChatWidget({ id, api = '/api/chat' }: { id: string; api?: string }) {
  const initial = useMemo(() => loadMessages(id), [id]);
  const transport = useMemo(
    // `resumable: true`: the server keeps the answer for GET /api/chat/<id>/stream.
    () => new DefaultChatTransport<UIMessage>({ api, credentials: 'include', body: { resumable: true } }),
    [api],
  );
  const { messages, sendMessage, status, stop, error } = useChat({
    id,
    messages: initial,
    transport,
    resume: true,
  });
  const [input, setInput] = useState('');

  useEffect(() => saveMessages(id, messages), [id, messages]);

  const busy = status === 'submitted' || status === 'streaming';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const text = input.trim();
    if (!text || busy) return;
    setInput('');
    void sendMessage({ text });
  };
  const stopAnswer = () => {
    void stop();
    // A resumable answer outlives its request: ask the server to stop generating it.
    void fetch(`${api}/${encodeURIComponent(id)}/stream`, { method: 'DELETE', credentials: 'include' });
  };

  return (
    <section className="chat" data-status={status} aria-label="Ask this site">
      <ol className="messages">
        {messages.map((m) => (
          <Message key={m.id} message={m} />
        ))}
      </ol>
      {error ? (
        <p className="error" role="alert">
          {error.message || 'Something went wrong.'}
        </p>
      ) : null}
      <form className="composer" onSubmit={submit}>
        <input
          id="chat-input"
          value={input}
          onChange={(e) => setInput(e.target.value)}
          placeholder="Ask about the projects, posts and courses"
          aria-label="Your question"
          maxLength={4000}
        />
        {busy ? (
          <button id="chat-stop" type="button" onClick={stopAnswer}>
            Stop
          </button>
        ) : (
          <button id="chat-send" type="submit" disabled={!input.trim()}>
            Send
          </button>
        )}
      </form>
    </section>
  );
}

function Message({ message }: { message: UIMessage }) {
  const sources = message.parts.filter((p): p is SourcePart => p.type === 'source-url');
  return (
    <li className={`msg ${message.role}`} data-message-id={message.id}>
      {message.parts.map((part, i) => {
        const key = `${message.id}-${i}`;
        if (part.type === 'text')
          return message.role === 'assistant' ? (
            <AnswerText key={key} text={part.text} sources={sources} />
          ) : (
            <p key={key} className="text">
              {part.text}
            </p>
          );
        if (part.type.startsWith('tool-')) return <ToolView key={key} part={part as ToolPart} />;
        return null;
      })}
      {message.role === 'assistant' ? <Sources sources={sources} /> : null}
    </li>
  );
}
