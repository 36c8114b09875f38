// polyfolio demo page: plain ES module, no build step. Everything shown comes from /api/* JSON or the
// chat's UI message stream. Text from the API is only ever set with textContent; the one HTML field
// (search snippets, escaped by the server with <mark> around hits) is rebuilt node by node, so only
// <mark> elements can come out of it.

const $ = (id) => document.getElementById(id);

/** Creates an element with text and attributes; children are appended as nodes, never parsed as HTML. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElementNS(
    tag === 'svg' || attrs.svg ? 'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml',
    tag,
  );
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'svg' || v === undefined || v === null) continue;
    if (k === 'text') node.textContent = String(v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

const ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#x27;': "'" };

/** Decodes the few entities an escaped snippet contains (anything else stays literal text). */
function decodeEntities(s) {
  return s.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (m) => ENTITIES[m] ?? m);
}

/** A snippet as DOM: text nodes and <mark> elements only, whatever the string holds. */
export function snippetNodes(snippet) {
  const frag = document.createDocumentFragment();
  const parts = String(snippet).split(/(<mark>|<\/mark>)/);
  let marked = false;
  for (const part of parts) {
    if (part === '<mark>') marked = true;
    else if (part === '</mark>') marked = false;
    else if (part) {
      const text = document.createTextNode(decodeEntities(part));
      frag.append(marked ? el('mark', {}, text) : text);
    }
  }
  return frag;
}

async function getJson(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body?.error?.message ?? `${res.status} ${res.statusText}`);
  return body;
}

// ---------------------------------------------------------------- health
async function showHealth() {
  const pill = $('health');
  try {
    const res = await fetch('/api/health');
    const body = await res.json();
    pill.textContent = body.status === 'ok' ? 'all stores up' : `degraded: ${(body.down ?? []).join(', ')}`;
    pill.className = `pill ${body.status === 'ok' ? 'ok' : 'bad'}`;
    pill.title = (body.stores ?? []).map((s) => `${s.store}: ${s.adapter} ${s.status}`).join('\n');
  } catch {
    pill.textContent = 'unreachable';
    pill.className = 'pill bad';
  }
}

// ---------------------------------------------------------------- search
async function search(q) {
  const status = $('search-status');
  const list = $('results');
  status.textContent = 'Searching…';
  list.replaceChildren();
  try {
    const body = await getJson(`/api/search?q=${encodeURIComponent(q)}&limit=8`);
    const results = body.results ?? [];
    status.textContent = `${results.length} result${results.length === 1 ? '' : 's'} for “${body.query ?? q}”${
      body.degraded ? ' (full text only: vector store unavailable)' : ''
    }`;
    for (const r of results) {
      const concepts = el('div', { class: 'chips' });
      for (const c of r.concepts ?? [])
        concepts.append(
          el('button', { type: 'button', class: 'chip', text: c, onclick: () => showConcept(c) }),
        );
      list.append(
        el(
          'li',
          { class: 'result' },
          el(
            'div',
            { class: 'result-head' },
            el('span', { class: `kind ${r.kind}`, text: r.kind }),
            el('a', { href: `/api/content/${encodeURIComponent(r.slug)}`, text: r.title }),
          ),
          r.heading ? el('div', { class: 'heading', text: r.heading }) : null,
          el('p', { class: 'snippet' }, snippetNodes(r.snippet ?? '')),
          concepts,
        ),
      );
    }
  } catch (err) {
    status.textContent = `Search failed: ${err.message}`;
  }
}

// ---------------------------------------------------------------- graph + learning path
async function loadConcepts() {
  const select = $('concept-select');
  try {
    const body = await getJson('/api/concepts');
    for (const c of body.items ?? []) select.append(el('option', { value: c.slug, text: c.title }));
  } catch (err) {
    $('graph-status').textContent = `Concepts unavailable: ${err.message}`;
  }
}

async function showConcept(slug) {
  const select = $('concept-select');
  if ([...select.options].some((o) => o.value === slug)) select.value = slug;
  const depth = $('depth-select').value;
  const status = $('graph-status');
  status.textContent = 'Loading…';
  await Promise.all([
    getJson(`/api/graph/concepts/${encodeURIComponent(slug)}?depth=${depth}`)
      .then((g) => {
        drawGraph(g);
        status.textContent = `${g.nodes.length} nodes, ${g.edges.length} edges within ${g.depth} hop${
          g.depth === 1 ? '' : 's'
        }${g.truncated ? ` (capped at ${g.cap})` : ''}`;
      })
      .catch((err) => {
        $('graph').replaceChildren();
        status.textContent = `Graph failed: ${err.message}`;
      }),
    showPath(slug),
  ]);
}

/** Radial layout: the centre, then each breadth-first ring on a larger circle. */
function drawGraph(g) {
  const width = 460;
  const height = 460;
  const cx = width / 2;
  const cy = height / 2;
  const adjacency = new Map(g.nodes.map((n) => [n.id, []]));
  for (const e of g.edges) {
    adjacency.get(e.source)?.push(e.target);
    adjacency.get(e.target)?.push(e.source);
  }
  const ring = new Map([[g.center, 0]]);
  const queue = [g.center];
  while (queue.length) {
    const id = queue.shift();
    for (const next of adjacency.get(id) ?? [])
      if (!ring.has(next)) {
        ring.set(next, ring.get(id) + 1);
        queue.push(next);
      }
  }
  const rings = new Map();
  for (const n of g.nodes) {
    const r = ring.get(n.id) ?? 3;
    rings.set(r, [...(rings.get(r) ?? []), n]);
  }
  const maxRing = Math.max(1, ...rings.keys());
  const pos = new Map();
  for (const [r, nodes] of rings) {
    const radius = (r / maxRing) * (Math.min(width, height) / 2 - 40);
    nodes.forEach((n, i) => {
      const angle = (2 * Math.PI * i) / nodes.length + r * 0.6;
      pos.set(n.id, { x: cx + radius * Math.cos(angle), y: cy + radius * Math.sin(angle) });
    });
  }
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Concept graph' });
  svg.append(
    el(
      'defs',
      { svg: true },
      el(
        'marker',
        {
          svg: true,
          id: 'arrow',
          viewBox: '0 0 10 10',
          refX: 18,
          refY: 5,
          markerWidth: 6,
          markerHeight: 6,
          orient: 'auto',
        },
        el('path', { svg: true, d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }),
      ),
    ),
  );
  for (const e of g.edges) {
    const a = pos.get(e.source);
    const b = pos.get(e.target);
    if (!a || !b) continue;
    svg.append(
      el(
        'line',
        {
          svg: true,
          x1: a.x,
          y1: a.y,
          x2: b.x,
          y2: b.y,
          class: `edge ${e.type}`,
          'marker-end': 'url(#arrow)',
        },
        el('title', { svg: true, text: `${e.type}${e.reason ? `: ${e.reason}` : ''}` }),
      ),
    );
  }
  for (const n of g.nodes) {
    const p = pos.get(n.id);
    const isConcept = n.label === 'Concept';
    const node = el(
      'g',
      {
        svg: true,
        class: `node ${n.label}${n.id === g.center ? ' center' : ''}`,
        transform: `translate(${p.x},${p.y})`,
        tabindex: isConcept ? 0 : undefined,
        onclick: isConcept ? () => showConcept(n.key) : undefined,
      },
      el('circle', { svg: true, r: n.id === g.center ? 11 : 7 }),
      el('text', { svg: true, y: -12, 'text-anchor': 'middle', text: n.title }),
      el('title', { svg: true, text: `${n.label}: ${n.title}` }),
    );
    svg.append(node);
  }
  $('graph').replaceChildren(svg);
}

async function showPath(slug) {
  const list = $('path-steps');
  const target = $('path-target');
  list.replaceChildren();
  target.textContent = '';
  try {
    const body = await getJson(`/api/graph/path?to=${encodeURIComponent(slug)}`);
    target.textContent = `to ${body.target.title}`;
    for (const s of body.steps)
      list.append(
        el(
          'li',
          {},
          el('button', { type: 'button', class: 'link', text: s.title, onclick: () => showConcept(s.slug) }),
        ),
      );
    list.append(el('li', { class: 'goal', text: `${body.target.title} (goal)` }));
  } catch (err) {
    list.append(el('li', { class: 'status', text: `No path: ${err.message}` }));
  }
}

// ---------------------------------------------------------------- chat (UI message stream over SSE)
const chatId = `demo-${Math.random().toString(36).slice(2, 10)}`;
/** The conversation as UIMessages, sent whole each turn as `useChat` does. */
const history = [];

/** Reads an SSE body and calls `onChunk` with each `data:` JSON chunk until `[DONE]`. */
export async function readUiMessageStream(body, onChunk) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += value;
    let idx = buffer.indexOf('\n\n');
    while (idx >= 0) {
      const event = buffer.slice(0, idx);
      buffer = buffer.slice(idx + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') return;
        try {
          onChunk(JSON.parse(data));
        } catch {
          // a malformed chunk is skipped, not fatal
        }
      }
      idx = buffer.indexOf('\n\n');
    }
  }
}

async function ask(question) {
  const messages = $('messages');
  const userMsg = { id: `u${history.length}`, role: 'user', parts: [{ type: 'text', text: question }] };
  history.push(userMsg);
  messages.append(el('div', { class: 'msg user', text: question }));
  const text = el('div', { class: 'text' });
  const cites = el('ol', { class: 'citations' });
  const bubble = el('div', { class: 'msg assistant streaming' }, text, cites);
  messages.append(bubble);
  messages.scrollTop = messages.scrollHeight;
  const assistant = { id: `a${history.length}`, role: 'assistant', parts: [] };
  let answer = '';
  $('chat-send').disabled = true;
  try {
    const res = await fetch('/api/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ id: chatId, trigger: 'submit-message', messages: history }),
    });
    if (!res.ok || !res.body) {
      const body = await res.json().catch(() => null);
      throw new Error(body?.error?.message ?? `${res.status} ${res.statusText}`);
    }
    await readUiMessageStream(res.body, (chunk) => {
      switch (chunk.type) {
        case 'text-delta':
          answer += chunk.delta ?? '';
          text.textContent = answer;
          break;
        case 'source-url': {
          const title = chunk.title ?? chunk.url;
          let href = '#';
          try {
            const u = new URL(chunk.url, location.href);
            if (u.protocol === 'http:' || u.protocol === 'https:') href = u.href;
          } catch {
            // not a URL: keep it as text only
          }
          cites.append(
            el('li', {}, el('a', { href, target: '_blank', rel: 'noopener noreferrer', text: title })),
          );
          assistant.parts.push({
            type: 'source-url',
            sourceId: chunk.sourceId,
            url: chunk.url,
            title: chunk.title,
          });
          break;
        }
        case 'source-document':
          cites.append(el('li', { text: chunk.title ?? chunk.sourceId }));
          assistant.parts.push({
            type: 'source-document',
            sourceId: chunk.sourceId,
            mediaType: chunk.mediaType,
            title: chunk.title,
          });
          break;
        case 'error':
          bubble.append(el('p', { class: 'error', text: chunk.errorText ?? 'The answer stopped.' }));
          break;
        case 'finish':
          bubble.classList.remove('streaming');
          break;
        default:
          break;
      }
      messages.scrollTop = messages.scrollHeight;
    });
    if (answer) assistant.parts.unshift({ type: 'text', text: answer, state: 'done' });
    history.push(assistant);
  } catch (err) {
    history.pop(); // the question was not answered; let the user ask again
    bubble.append(el('p', { class: 'error', text: `Chat failed: ${err.message}` }));
  } finally {
    bubble.classList.remove('streaming');
    bubble.classList.add('done');
    $('chat-send').disabled = false;
  }
}

// ---------------------------------------------------------------- wiring
$('search-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const q = $('search-input').value.trim();
  if (q) void search(q);
});
$('concept-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const slug = $('concept-select').value;
  if (slug) void showConcept(slug);
});
$('chat-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $('chat-input');
  const q = input.value.trim();
  if (!q) return;
  input.value = '';
  void ask(q);
});

void showHealth();
void loadConcepts();
