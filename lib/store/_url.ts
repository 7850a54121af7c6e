/**
 * A database URL without its credentials: user info, and a libSQL
 * `authToken` parameter (which the client accepts), are dropped; a
 * PostgreSQL URL keeps its user name (not a secret, and it says which
 * account the store uses) but loses its password and any `password`
 * parameter.
 */
export function withoutCredentials(url: string): string {
  const postgres = /^postgres(ql)?:/.test(url);
  if (!postgres && !/^(libsql|https?|wss?):/.test(url)) return url;
  try {
    const parsed = new URL(url);
    const secret = postgres
      ? parsed.password !== "" || parsed.searchParams.has("password")
      : parsed.username !== "" || parsed.password !== "" ||
        parsed.searchParams.has("authToken");
    if (!secret) return url;
    if (!postgres) parsed.username = "";
    parsed.password = "";
    parsed.searchParams.delete(postgres ? "password" : "authToken");
    return parsed.href;
  } catch {
    // A URL that does not parse may still hold a password: keep the scheme only.
    return postgres
      ? `${url.slice(0, url.indexOf(":"))}://(unparsable URL)`
      : url;
  }
}
