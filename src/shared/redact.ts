/**
 * Secrets must never reach logs, errors, the dashboard or state files. Anything that prints a
 * URL or headers goes through these.
 */

/** Drops userinfo and the values of query parameters that look like credentials. */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return '<invalid url>';
  }
  if (url.username !== '' || url.password !== '') {
    url.username = '***';
    url.password = '';
  }
  for (const key of [...url.searchParams.keys()]) {
    if (/pass|key|token|secret|auth|sig/i.test(key)) url.searchParams.set(key, '***');
  }
  return url.toString();
}

/** Replaces every occurrence of each known secret value in a text. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 3) out = out.split(secret).join('***');
  }
  return out;
}
