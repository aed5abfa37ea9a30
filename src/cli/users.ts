/**
 * `skinsight users grant-admin EMAIL` / `revoke-admin EMAIL`: the operator's way to give or
 * take the admin role (the analytics dashboard, model reload), run on the server against the
 * configured database (the same environment as `skinsight serve`: SQLite in
 * SKINSIGHT_DATA_DIR, or SKINSIGHT_DB=postgres). Registering never makes an admin.
 * Exit codes: 0 done, 1 no account with this e-mail, 2 usage or configuration error.
 */
import { printable } from './printable.ts';

export async function runUsers(args: string[]): Promise<number> {
  const [action, email, ...extra] = args;
  if ((action !== 'grant-admin' && action !== 'revoke-admin') || !email || extra.length > 0) {
    process.stderr.write('skinsight: usage: skinsight users grant-admin EMAIL | revoke-admin EMAIL\n');
    return 2;
  }
  const { loadConfig } = await import('../service/config.ts');
  const { createDb } = await import('../service/storage/db.ts');
  const { migrateToLatest } = await import('../service/storage/migrations.ts');
  const { UserRepo } = await import('../service/storage/users.ts');
  const config = loadConfig();
  const db = await createDb(config.db);
  try {
    await migrateToLatest(db);
    const role = action === 'grant-admin' ? 'admin' : 'user';
    if (!(await new UserRepo(db).setRole(email, role))) {
      process.stderr.write(`skinsight: no account with the e-mail ${printable(email.toLowerCase())}\n`);
      return 1;
    }
    process.stdout.write(`${email.toLowerCase()}: role ${role}\n`);
    return 0;
  } finally {
    await db.destroy();
  }
}
