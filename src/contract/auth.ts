/** Accounts: register, log in, log out, change the password, who am I, delete me. */
import { z } from 'zod';
import { Timestamp } from './common.ts';

/** A bound only; the password rules themselves answer WEAK_PASSWORD (service/auth/password-policy.ts). */
export const PASSWORD_MAX_LENGTH = 256;

const Email = z.string().max(254).meta({ format: 'email' });
const Password = z.string().min(1).max(PASSWORD_MAX_LENGTH);

export const Credentials = z.object({ email: Email, password: Password });
export type Credentials = z.infer<typeof Credentials>;

export const ChangePasswordBody = z.object({ current_password: Password, new_password: Password });
export type ChangePasswordBody = z.infer<typeof ChangePasswordBody>;

export const DeleteAccountBody = z.object({ password: Password });
export type DeleteAccountBody = z.infer<typeof DeleteAccountBody>;

export const User = z.object({ id: z.string(), email: z.string(), created_at: z.string() });
export type User = z.infer<typeof User>;

export const Token = z.object({
  access_token: z.string(),
  token_type: z.enum(['Bearer']),
  expires_in: z.int().describe('seconds'),
  expires_at: Timestamp,
  user: User.optional(),
});
export type Token = z.infer<typeof Token>;

export const Registered = z.object({ status: z.string(), message: z.string() });
export type Registered = z.infer<typeof Registered>;

export const LoggedOut = z.object({ logged_out: z.boolean() });
export type LoggedOut = z.infer<typeof LoggedOut>;

export const PasswordChanged = z.object({ changed: z.boolean(), sessions_ended: z.int() });
export type PasswordChanged = z.infer<typeof PasswordChanged>;

export const AccountDeleted = z.object({ deleted: z.boolean(), scans_deleted: z.int() });
export type AccountDeleted = z.infer<typeof AccountDeleted>;
