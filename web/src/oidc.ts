// Sign-in with the intranet's OIDC provider: authorization code + PKCE (S256), a public client
// (no secret in the browser). The console only fetches the tokens; the service verifies the
// bearer like any JWT (the provider's JWKS, issuer, audience, claim names).
import { message, token, type Schemas } from "./api";
import { fetchMe, session } from "./session";

export type OidcConfig = Schemas["OidcConfig"];

/** What the sign-in page keeps for the callback (session storage: this tab only, one use). */
interface Pending {
  state: string;
  nonce: string;
  verifier: string;
  redirectUri: string;
  tokenEndpoint: string;
  bearer: OidcConfig["bearer"];
  clientId: string;
  target: string;
}

const PENDING_KEY = "ducha.oidc";

/** A failure with its message key and values (shown in the user's language). */
export class OidcError extends Error {
  constructor(
    public key: string,
    public values: Record<string, string> = {},
    public target?: string, // the page first asked for, to go back to the sign-in page with
  ) {
    super(key);
  }
}

export function callbackUri(): string {
  return `${window.location.origin}/login/callback`;
}

/** Discover the provider's endpoints, keep state, nonce and verifier, go to its sign-in page. */
export async function beginSignIn(oidc: OidcConfig, target: string): Promise<void> {
  if (!window.crypto?.subtle) throw new OidcError("oidc.insecure");
  const discovery = await discover(oidc.issuer);
  const verifier = randomString(48);
  const pending: Pending = {
    state: randomString(24),
    nonce: randomString(24),
    verifier,
    redirectUri: callbackUri(),
    tokenEndpoint: discovery.token_endpoint,
    bearer: oidc.bearer,
    clientId: oidc.client_id,
    target,
  };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(discovery.authorization_endpoint);
  const params = {
    response_type: "code",
    client_id: oidc.client_id,
    redirect_uri: pending.redirectUri,
    scope: oidc.scope,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await challenge(verifier),
    code_challenge_method: "S256",
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  window.location.assign(url.toString());
}

/**
 * On /login/callback: check the state, exchange the code, check the ID token's nonce, sign in
 * with the bearer. Returns the page the user first asked for; throws OidcError.
 */
export async function completeSignIn(query: URLSearchParams): Promise<string> {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY); // one use, whatever happens
  const pending = raw ? (JSON.parse(raw) as Pending) : null;
  const error = query.get("error");
  if (error) {
    const description = query.get("error_description");
    const values = { error: description ? `${error}：${description}` : error };
    throw new OidcError("oidc.providerError", values, pending?.target);
  }
  if (!pending) throw new OidcError("oidc.noPending");
  try {
    return await finish(query, pending);
  } catch (e) {
    if (e instanceof OidcError) e.target = pending.target;
    throw e;
  }
}

async function finish(query: URLSearchParams, pending: Pending): Promise<string> {
  if (!query.get("state") || query.get("state") !== pending.state) throw new OidcError("oidc.stateMismatch");
  const code = query.get("code");
  if (!code) throw new OidcError("oidc.noCode");

  const tokens = await exchange(pending, code);
  if (typeof tokens.id_token !== "string") throw new OidcError("oidc.noIdToken");
  const claims = payload(tokens.id_token);
  if (claims?.nonce !== pending.nonce) throw new OidcError("oidc.nonceMismatch");
  const bearer = tokens[pending.bearer];
  if (typeof bearer !== "string" || !bearer) throw new OidcError("oidc.noBearer", { name: pending.bearer });

  token.set(bearer); // as the pasted-JWT path does
  try {
    session.me = await fetchMe();
  } catch (e) {
    token.clear();
    session.me = null;
    throw new OidcError("oidc.refused", { detail: message(e) });
  }
  return pending.target.startsWith("/") ? pending.target : "/tasks";
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
}

async function discover(issuer: string): Promise<Discovery> {
  const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  let doc: Partial<Discovery>;
  try {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${response.status}`);
    doc = await response.json();
  } catch (e) {
    throw new OidcError("oidc.discoveryFailed", { url, detail: String(e instanceof Error ? e.message : e) });
  }
  if (!doc.authorization_endpoint || !doc.token_endpoint) {
    throw new OidcError("oidc.discoveryFailed", { url, detail: "authorization_endpoint / token_endpoint" });
  }
  return doc as Discovery;
}

async function exchange(pending: Pending, code: string): Promise<Record<string, unknown>> {
  const body = new URLSearchParams({
    grant_type: "authorization_code",
    code,
    redirect_uri: pending.redirectUri,
    client_id: pending.clientId,
    code_verifier: pending.verifier,
  });
  let response: Response;
  try {
    response = await fetch(pending.tokenEndpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body,
    });
  } catch (e) {
    throw new OidcError("oidc.tokenFailed", { detail: String(e instanceof Error ? e.message : e) });
  }
  let json: Record<string, unknown> = {};
  try {
    json = await response.json();
  } catch {
    // an error page instead of JSON: the status says enough
  }
  if (!response.ok) {
    const reason = [json.error, json.error_description].filter((x) => typeof x === "string").join("：");
    throw new OidcError("oidc.tokenFailed", { detail: `HTTP ${response.status}${reason ? ` ${reason}` : ""}` });
  }
  return json;
}

/** A JWT's payload, unverified: the service checks signatures when the token is used. */
function payload(jwt: string): Record<string, unknown> | null {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part.padEnd(Math.ceil(part.length / 4) * 4, "=")), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

function base64url(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(bytes: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function challenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}
