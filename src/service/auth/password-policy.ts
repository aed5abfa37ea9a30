/**
 * Password rules after NIST SP 800-63B §5.1.1.2 (memorized secrets): at least 8 characters,
 * no composition rules, and refused when it is a known common password, the account's e-mail
 * (or its local part), or one character repeated. The blocklist is the 49,000-password
 * "passwords-common" list of zxcvbn-ts (@zxcvbn-ts/language-common, MIT), compared
 * case-insensitively; it is loaded on first use.
 */
import { HttpError } from '../http-errors.ts';

export const MIN_LENGTH = 8;

let common: Promise<Set<string>> | undefined;
function commonPasswords(): Promise<Set<string>> {
  common ??= import('@zxcvbn-ts/language-common').then(({ dictionary }) => new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase())));
  return common;
}

/** Why a password is refused, or null when it is acceptable. */
export async function passwordProblem(password: string, email: string): Promise<string | null> {
  // Length in code points, as NIST counts characters (an emoji is one).
  if ([...password].length < MIN_LENGTH) return `the password must have at least ${MIN_LENGTH} characters`;
  const lower = password.toLowerCase();
  const mail = email.toLowerCase();
  if (lower === mail || lower === mail.split('@')[0]) return 'the password must not be your e-mail address';
  if (new Set(password).size === 1) return 'the password must not be one character repeated';
  if ((await commonPasswords()).has(lower)) return 'this password is on a list of commonly used passwords; choose another';
  return null;
}

/** Throws 400 WEAK_PASSWORD with the reason. */
export async function checkPassword(password: string, email: string): Promise<void> {
  const problem = await passwordProblem(password, email);
  if (problem) throw new HttpError('WEAK_PASSWORD', problem);
}
