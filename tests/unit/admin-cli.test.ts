import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, users } from '../../db/schema.js';
import { registerMember } from '../../lib/auth/accounts.js';
import { type AdminCliDeps, runAdminCreate } from '../../lib/auth/admin-cli.js';
import { TEST_ONLY_HASH_PARAMS, verifyPassword } from '../../lib/auth/password.js';
import type { SqlStore } from '../../lib/stores/sql/index.js';
import { sqlTargets } from '../helpers/sql.js';

/** `npm run admin:create` logic on each real SQL target; the password source is a parameter. */
for (const target of sqlTargets()) {
  describe.skipIf(Boolean(target.skip))(`admin:create on ${target.name}`, () => {
    let sql: SqlStore;
    beforeAll(async () => {
      sql = await target.create();
    });
    afterAll(() => sql?.close());

    async function run(argv: string[], extra: Partial<AdminCliDeps> = {}) {
      const out: string[] = [];
      let prompted = 0;
      const code = await runAdminCreate({
        db: sql.db,
        argv,
        readPassword: async () => {
          prompted++;
          return 'prompted passphrase ok';
        },
        out: (line) => out.push(line),
        hashParams: TEST_ONLY_HASH_PARAMS,
        ...extra,
      });
      return { code, out: out.join('\n'), prompted };
    }
    const userRow = async (email: string) =>
      (await sql.db.select().from(users).where(eq(users.email, email)))[0];

    it('happy: creates an admin with the prompted password (lowercased email), audited', async () => {
      const r = await run(['--email', 'Owner@Example.dev', '--name', 'The Owner']);
      expect(r).toMatchObject({ code: 0, prompted: 1 });
      expect(r.out).toMatch(/Created admin owner@example\.dev/);
      const row = await userRow('owner@example.dev');
      expect(row?.role).toBe('admin');
      expect(await verifyPassword('prompted passphrase ok', row?.passwordHash ?? '')).toBe(true);
      const audit = await sql.db
        .select()
        .from(auditLog)
        .where(eq(auditLog.entityId, row?.id ?? ''));
      expect(audit).toMatchObject([{ action: 'user.create', actor: 'cli:admin-create' }]);
    });

    it('happy: ADMIN_PASSWORD is used without prompting; --password too, with a warning', async () => {
      const env = await run(['--email', 'env@example.dev', '--name', 'Env'], {
        envPassword: 'from the environment',
      });
      expect(env).toMatchObject({ code: 0, prompted: 0 });
      expect(
        await verifyPassword('from the environment', (await userRow('env@example.dev'))?.passwordHash ?? ''),
      ).toBe(true);
      const flag = await run([
        '--email',
        'flag@example.dev',
        '--name',
        'Flag',
        '--password',
        'from the command line',
      ]);
      expect(flag).toMatchObject({ code: 0, prompted: 0 });
      expect(flag.out).toMatch(/Warning: --password is visible/);
    });

    it('happy: an existing member is promoted, says so, and keeps name and password', async () => {
      await registerMember({
        db: sql.db,
        email: 'member@example.dev',
        name: 'Mem Ber',
        password: 'a secret of my own',
        hashParams: TEST_ONLY_HASH_PARAMS,
      });
      const r = await run(['--email', 'member@example.dev', '--name', 'Ignored'], {
        envPassword: 'ignored password here',
      });
      expect(r.code).toBe(0);
      expect(r.prompted).toBe(0);
      expect(r.out).toMatch(/Promoted existing user member@example\.dev from member to admin/);
      expect(r.out).toMatch(/password given was ignored/);
      const row = await userRow('member@example.dev');
      expect(row).toMatchObject({ role: 'admin', name: 'Mem Ber' });
      expect(await verifyPassword('a secret of my own', row?.passwordHash ?? '')).toBe(true);
      const again = await run(['--email', 'member@example.dev']);
      expect(again.out).toMatch(/already an admin; nothing changed/);
    });

    it('error: weak passwords are refused (exit 1) and nothing is created', async () => {
      for (const password of ['short', 'password12345', 'aaaaaaaaaaaaaaaa', 'weakling-account-x']) {
        const r = await run(['--email', 'weakling@example.dev', '--name', 'Weak'], { envPassword: password });
        expect(r.code).toBe(1);
        expect(r.out).toMatch(/Refused: weak password/);
      }
      expect(await userRow('weakling@example.dev')).toBeUndefined();
    });

    it('error: usage mistakes exit 2 with the usage text', async () => {
      for (const argv of [
        [],
        ['--email', 'not-an-email', '--name', 'x'],
        ['--email', 'new@example.dev'],
        ['--bogus'],
      ]) {
        const r = await run(argv);
        expect(r.code, argv.join(' ')).toBe(2);
        expect(r.out).toMatch(/Usage: npm run admin:create/);
      }
      expect(await userRow('new@example.dev')).toBeUndefined();
    });
  });
}
