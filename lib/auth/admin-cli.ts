import { parseArgs } from 'node:util';
import * as z from 'zod';
import type { Db } from '../stores/sql/index.js';
import { ensureAdmin, WeakPasswordError } from './accounts.js';
import type { ScryptParams } from './password.js';
import { emailSchema } from './schemas.js';
import { getUserByEmail } from './users.js';

/**
 * `npm run admin:create -- --email a@b.c --name "Ada"`: the logic, apart from the process (tests call
 * it with their own database and password source).
 *
 * Password sources, in order: `--password` (visible in shell history and `ps`: discouraged),
 * `ADMIN_PASSWORD`, standard input when it is not a terminal (`--password-stdin` forces it), else a
 * hidden prompt asked twice. An existing account is promoted and keeps its password: none is asked.
 */

export const USAGE = `Usage: npm run admin:create -- --email <email> --name <name> [--password <pw> | --password-stdin]
  The password may also come from ADMIN_PASSWORD or standard input; otherwise you are prompted.
  If the email already has an account, it is promoted to admin and keeps its password.`;

export interface AdminCliDeps {
  db: Db;
  argv: string[];
  /** ADMIN_PASSWORD from env. */
  envPassword?: string;
  /** Reads a password (stdin or prompt); `confirm` asks for it twice when interactive. */
  readPassword(options: { forceStdin: boolean }): Promise<string>;
  out(line: string): void;
  hashParams?: ScryptParams;
}

/** Returns the process exit code: 0 done, 1 refused (weak password, bad input), 2 usage. */
export async function runAdminCreate(deps: AdminCliDeps): Promise<number> {
  let values: {
    email?: string;
    name?: string;
    password?: string;
    'password-stdin'?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: deps.argv,
      options: {
        email: { type: 'string' },
        name: { type: 'string' },
        password: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    deps.out(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    deps.out(USAGE);
    return 0;
  }
  const email = emailSchema.safeParse(values.email ?? '');
  if (!email.success) {
    deps.out(`A valid --email is required.\n${USAGE}`);
    return 2;
  }
  const name = z
    .string()
    .trim()
    .min(1)
    .max(100)
    .safeParse(values.name ?? '');

  const existing = await getUserByEmail({ db: deps.db, email: email.data });
  if (existing) {
    const result = await ensureAdmin({ db: deps.db, email: email.data, name: existing.name });
    if (values.password !== undefined || deps.envPassword !== undefined) {
      deps.out('Note: the account already exists, so the password given was ignored (it keeps its own).');
    }
    deps.out(
      result.action === 'already_admin'
        ? `${result.user.email} is already an admin; nothing changed.`
        : `Promoted existing user ${result.user.email} from ${existing.role} to admin. Sessions started before keep their old role until the next login.`,
    );
    return 0;
  }

  if (!name.success) {
    deps.out(`A --name is required to create a new account.\n${USAGE}`);
    return 2;
  }
  let password: string;
  if (values.password !== undefined) {
    deps.out(
      'Warning: --password is visible in shell history and the process list; prefer ADMIN_PASSWORD or stdin.',
    );
    password = values.password;
  } else if (deps.envPassword !== undefined) password = deps.envPassword;
  else password = await deps.readPassword({ forceStdin: values['password-stdin'] === true });

  try {
    const result = await ensureAdmin({
      db: deps.db,
      email: email.data,
      name: name.data,
      password,
      ...(deps.hashParams ? { hashParams: deps.hashParams } : {}),
    });
    deps.out(
      result.action === 'created'
        ? `Created admin ${result.user.email} (${result.user.name}).`
        : `${result.user.email} appeared meanwhile; it is now an admin (${result.action}).`,
    );
    return 0;
  } catch (err) {
    if (err instanceof WeakPasswordError) {
      deps.out(`Refused: weak password. ${err.message}`);
      return 1;
    }
    throw err;
  }
}
