/**
 * Text for a terminal: control characters escaped, so a file name holding a newline or an ESC
 * sequence cannot forge a line or drive the terminal. C0, DEL and C1 (Unicode Cc), the line and
 * paragraph separators and the bidirectional overrides (the "Trojan Source" characters,
 * https://trojansource.codes) become \xHH or \u{H} escapes; everything else is kept as is.
 */
const UNSAFE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
