/** User rows. Emails are stored lower-cased so that login is case-insensitive. */
import type { Insertable, Selectable } from 'kysely';
import type { Role } from '../../contract/admin.ts';
import type { Db, UsersTable } from './db.ts';

export type User = Selectable<UsersTable>;
export type { Role };

export class UserRepo {
  constructor(private readonly db: Db) {}

  /** Insert a user; returns false when the email is taken (checked by the unique index). */
  async create(user: Insertable<UsersTable>): Promise<boolean> {
    const res = await this.db
      .insertInto('users')
      .values(user)
      .onConflict((oc) => oc.column('email').doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  findByEmail(email: string): Promise<User | undefined> {
    return this.db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
  }

  findById(id: string): Promise<User | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async setPasswordHash(id: string, hash: string): Promise<void> {
    await this.db.updateTable('users').set({ password_hash: hash }).where('id', '=', id).execute();
  }

  /** The operator's grant-admin / revoke-admin; false when no account has this email. */
  async setRole(email: string, role: Role): Promise<boolean> {
    const res = await this.db.updateTable('users').set({ role }).where('email', '=', email.toLowerCase()).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async delete(id: string): Promise<boolean> {
    const res = await this.db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) === 1;
  }
}
