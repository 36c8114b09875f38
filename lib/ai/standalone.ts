import { STOP_WORDS, terms, words } from './text-features.js';

/**
 * Follow-ups made standalone from the conversation, by deterministic rules (no model call): a turn that
 * leans on an earlier one ("and what value of k is usually used?", "how does it keep events in
 * order?", "which one cost the most?") takes the topic words of the previous question, itself made
 * standalone first, so a chain of follow-ups keeps its subject. A turn that says enough on its own is
 * left as asked. Used for retrieval (chat's search query) and by the local answerer, which reads the
 * conversation the way a model would; provider models see the conversation themselves.
 */

export interface Standalone {
  /** The question to retrieve for: the turn as asked, plus the carried topic words when it is a follow-up. */
  question: string;
  /** The latest turn as asked. */
  asked: string;
  /** Topic words carried from earlier turns (empty when the turn stands alone). */
  carried: string[];
  followUp: boolean;
}

/** Words that shape a question but say nothing about its topic (kept apart from the stop list). */
export const QUESTION_WORDS: ReadonlySet<string> = new Set(
  (
    'explain tell describe mean means meaning work works working happen happens happened know need needs ' +
    'use used using usually way ways thing things get make help please show give like want good best anything ' +
    'something summarize summarise summary overview learn learned cover covers covered post posts article ' +
    'articles project projects lesson lessons course courses blog site say says said talk talks wrote write ' +
    'find found read stand stands define defined definition actually really exactly basically'
  ).split(' '),
);

/** Words that point back at something said before. */
const ANAPHORA = new Set(
  "it its it's they them their theirs this that these those there he she his her one ones same then".split(
    ' ',
  ),
);
/** Openings of a turn that continues the previous one. */
const CONTINUATION =
  /^(and|but|also|so|or|then|plus|what about|how about|and what|and how|and why|what else|anything else)\b/i;

/** At most this many topic words are carried. */
const MAX_CARRIED = 12;

export function standaloneQuestion(userTurns: readonly string[]): Standalone {
  const asked = (userTurns[userTurns.length - 1] ?? '').trim();
  const standalone = (carried: string[], followUp: boolean): Standalone => ({
    question: carried.length ? `${asked} (${carried.join(' ')})` : asked,
    asked,
    carried,
    followUp,
  });
  if (userTurns.length < 2 || !isFollowUp(asked)) return standalone([], false);
  const previous = standaloneQuestion(userTurns.slice(0, -1));
  const own = new Set(terms(asked));
  const carried: string[] = [];
  for (const w of [...topicWords(previous.asked), ...previous.carried]) {
    const t = terms(w)[0];
    if (!t || own.has(t) || carried.some((c) => terms(c)[0] === t)) continue;
    carried.push(w);
    if (carried.length >= MAX_CARRIED) break;
  }
  return standalone(carried, carried.length > 0);
}

/**
 * Whether a turn leans on the conversation: it opens as a continuation ("and ...", "what about ..."),
 * points back with a pronoun and says little else, or is too short to stand alone ("what did the
 * reranker add?"). A short turn that names something new ("What is MVCC?") is a follow-up too: the
 * carried words weigh less than its own, and a title it names is looked up before carried ones.
 */
export function isFollowUp(turn: string): boolean {
  const topic = topicWords(turn);
  if (CONTINUATION.test(turn.trim())) return topic.length < 6;
  if (topic.length < 3) return true;
  return topic.length < 5 && words(turn).some((w) => ANAPHORA.has(w));
}

/** The words of a text that carry its topic, as written: no stop, question or pointing words. */
export function topicWords(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/[^\p{L}\p{N}'+#-]+/u)) {
    const w = raw.replace(/^['-]+|['-]+$/g, '');
    const lower = w.toLowerCase();
    if (!w || STOP_WORDS.has(lower) || QUESTION_WORDS.has(lower) || ANAPHORA.has(lower)) continue;
    if (terms(w).length === 0) continue;
    out.push(w);
  }
  return out;
}
