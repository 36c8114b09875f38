/**
 * `npm run admin:create -- --email a@b.c --name "Ada"`: creates the first admin, or promotes an
 * existing account. See lib/auth/admin-cli.ts for the password sources.
 */
import { existsSync } from 'node:fs';
import { migrate } from '../db/migrate.js';
import { runAdminCreate } from '../lib/auth/admin-cli.js';
import { env } from '../lib/env.js';
import { getSql } from '../lib/stores/sql/index.js';

if (existsSync('.env')) process.loadEnvFile('.env');

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk));
  // Only the line ending a pipe adds is dropped; other whitespace is part of the password.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stdout.write(question);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const done = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stdout.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          done();
          resolve(value);
          return;
        }
        if (ch === '\u0003' || ch === '\u0004') {
          done();
          reject(new Error('Cancelled.'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function readPassword({ forceStdin }: { forceStdin: boolean }): Promise<string> {
  if (forceStdin || !process.stdin.isTTY) return readAllStdin();
  const first = await promptHidden('Password for the new admin (at least 12 characters): ');
  const second = await promptHidden('Repeat it: ');
  if (first !== second) throw new Error('The passwords do not match.');
  return first;
}

const sql = await getSql();
let code = 1;
try {
  // The embedded database may be brand new; hosted databases are migrated with `npm run db:migrate`.
  if (sql.adapter === 'pglite') await migrate(sql);
  const envPassword = env().ADMIN_PASSWORD;
  code = await runAdminCreate({
    db: sql.db,
    argv: process.argv.slice(2),
    ...(envPassword !== undefined ? { envPassword } : {}),
    readPassword,
    out: (line) => console.log(line),
  });
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
} finally {
  await sql.close();
}
process.exit(code);
