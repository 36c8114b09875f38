import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import matter from 'gray-matter';

/**
 * Reads import sources into raw records (validated later, one by one, so a bad record never stops the
 * run): a folder of Markdown with YAML front matter (plus an optional `concepts.json`), or a JSON file
 * in the Metacademy format (`{ concepts: [...], courses: [{ slug, title, concepts }] }`).
 */

export interface RawRecord {
  /** Where it came from, for the report (a file path, or `file.json#concepts[3]`). */
  source: string;
  data: unknown;
}

export interface RawBundle {
  concepts: RawRecord[];
  content: RawRecord[];
  problems: { source: string; message: string }[];
}

export function readSource(path: string): RawBundle {
  if (!existsSync(path)) throw new Error(`Nothing to import at ${path}`);
  if (statSync(path).isDirectory()) return readFolder(path);
  if (path.endsWith('.json')) return readJsonFile(path);
  throw new Error(`Import a folder of Markdown or a .json file, not ${path}`);
}

/** Metacademy-style JSON: concepts (with prerequisites and reasons) and courses (ordered concept slugs). */
export function readJsonFile(file: string, label = file): RawBundle {
  const out: RawBundle = { concepts: [], content: [], problems: [] };
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    out.problems.push({ source: label, message: `not valid JSON: ${(err as Error).message}` });
    return out;
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    out.problems.push({ source: label, message: 'expected an object with "concepts" and/or "courses"' });
    return out;
  }
  const { concepts, courses } = data as { concepts?: unknown; courses?: unknown };
  if (Array.isArray(concepts))
    concepts.forEach((c, i) => {
      out.concepts.push({ source: `${label}#concepts[${i}]`, data: c });
    });
  else if (concepts !== undefined) out.problems.push({ source: label, message: '"concepts" is not a list' });
  if (Array.isArray(courses))
    courses.forEach((c, i) => {
      out.content.push({ source: `${label}#courses[${i}]`, data: courseRecord(c) });
    });
  else if (courses !== undefined) out.problems.push({ source: label, message: '"courses" is not a list' });
  return out;
}

/** A Metacademy course (slug, title, concept slugs in order) as a course content item that COVERS them. */
function courseRecord(course: unknown): unknown {
  if (!course || typeof course !== 'object') return course;
  const { slug, title, concepts, ...rest } = course as Record<string, unknown>;
  return { slug, title, kind: 'course', concepts, ...rest };
}

/** Markdown files under `dir` (course pages are `index.md` in the course's folder) and `concepts.json`. */
export function readFolder(dir: string): RawBundle {
  const out: RawBundle = { concepts: [], content: [], problems: [] };
  const conceptsFile = join(dir, 'concepts.json');
  if (existsSync(conceptsFile)) {
    const fromJson = readJsonFile(conceptsFile, relative(process.cwd(), conceptsFile) || conceptsFile);
    out.concepts.push(...fromJson.concepts);
    out.content.push(...fromJson.content);
    out.problems.push(...fromJson.problems);
  }
  const files = markdownFiles(dir);
  // A lesson without `course:` belongs to the course whose index.md shares its folder.
  const courseOfDir = new Map<string, string>();
  const parsed: { file: string; source: string; data: Record<string, unknown> }[] = [];
  for (const file of files) {
    const source = relative(process.cwd(), file) || file;
    try {
      const { data, content } = matter(readFileSync(file, 'utf8'));
      const record: Record<string, unknown> = { ...normaliseDates(data), body: content.trim() };
      if (record.slug === undefined) {
        record.slug = basename(file) === 'index.md' ? basename(dirname(file)) : basename(file, '.md');
      }
      if (basename(file) === 'index.md' && record.kind === 'course' && typeof record.slug === 'string')
        courseOfDir.set(dirname(file), record.slug);
      parsed.push({ file, source, data: record });
    } catch (err) {
      out.problems.push({ source, message: `unreadable front matter: ${(err as Error).message}` });
    }
  }
  for (const { file, source, data } of parsed) {
    const course = courseOfDir.get(dirname(file));
    if (data.kind === 'lesson' && data.course === undefined && course) data.course = course;
    out.content.push({ source, data });
  }
  return out;
}

function markdownFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.md') && name.toLowerCase() !== 'readme.md') found.push(full);
    }
  };
  walk(dir);
  return found;
}

/** YAML turns `2025-01-20` into a Date; the schema wants ISO strings. */
function normaliseDates(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) out[k] = v instanceof Date ? v.toISOString() : v;
  return out;
}
