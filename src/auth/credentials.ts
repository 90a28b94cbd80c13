/**
 * Pulls a credential out of an Authorization header, in every form the package
 * clients send it:
 *   Bearer <token>           governance API, npm, docker after /v2/token
 *   Basic base64(any:<token>) pip, twine, maven, skopeo/podman, curl -u
 *   <token>                  cargo sends the raw token with no scheme
 * Invariant: returns the secret only; deciding what it is belongs to auth/authenticate.ts.
 */
export function credentialFrom(header: string | null | undefined): string | null {
  if (!header) return null;
  const value = header.trim();
  const space = value.indexOf(" ");
  if (space === -1) return value.length > 0 ? value : null;
  const scheme = value.slice(0, space).toLowerCase();
  const rest = value.slice(space + 1).trim();
  if (scheme === "bearer" || scheme === "token") return rest || null;
  if (scheme === "basic") {
    try {
      const decoded = atob(rest);
      const colon = decoded.indexOf(":");
      const password = colon === -1 ? decoded : decoded.slice(colon + 1);
      return password || null;
    } catch {
      return null;
    }
  }
  return null;
}
