/**
 * Sessions: one row per access token, keyed by the token's `jti`. The bearer check reads the
 * user and the session in one indexed join (the lookup it already did for the user), so a
 * logout or a password change takes effect on the very next request, in every API process.
 */
import type { Role } from '../../contract/admin.ts';
import type { Db } from './db.ts';

export interface SessionUser {
  id: string;
  email: string;
  role: Role;
}

export class SessionRepo {
  constructor(private readonly db: Db) {}

  async create(s: { id: string; userId: string; now: Date; expiresAt: Date }): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({ id: s.id, user_id: s.userId, created_at: s.now.toISOString(), expires_at: s.expiresAt.toISOString() })
      .execute();
  }

  /** The account behind a live session, or undefined when the session or the account is gone. */
  userOf(sessionId: string, userId: string): Promise<SessionUser | undefined> {
    return this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['users.id', 'users.email', 'users.role'])
      .where('sessions.id', '=', sessionId)
      .where('sessions.user_id', '=', userId)
      .executeTakeFirst();
  }

  async delete(sessionId: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id', '=', sessionId).execute();
  }

  /** Every session of a user but `keep` (a password change keeps the one that made it). */
  async deleteOthers(userId: string, keep: string): Promise<number> {
    const res = await this.db.deleteFrom('sessions').where('user_id', '=', userId).where('id', '!=', keep).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  /** Rows of expired tokens (the token itself is refused by its `exp` already). */
  async purgeExpired(now: Date): Promise<number> {
    const res = await this.db.deleteFrom('sessions').where('expires_at', '<=', now.toISOString()).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
