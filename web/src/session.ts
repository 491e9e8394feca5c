// Who is signed in: the token (session storage), the service's sign-in config and GET /me.
import { reactive } from "vue";
import { api, ApiError, ok, token, type Schemas } from "./api";

export type Me = Schemas["MeOut"];
export type ConsoleConfig = Schemas["ConsoleConfig"];

/** GET /me as the signed-in caller. */
export function fetchMe(): Promise<Me> {
  return ok(api.GET("/api/v1/me"));
}

export const session = reactive<{ me: Me | null; config: ConsoleConfig | null }>({
  me: null,
  config: null,
});

let configRequest: Promise<ConsoleConfig> | null = null;

/** GET /console/config once: callers at the same moment share the one request. */
export async function loadConfig(): Promise<ConsoleConfig> {
  if (session.config) return session.config;
  configRequest ??= ok(api.GET("/api/v1/console/config")).finally(() => (configRequest = null));
  session.config = await configRequest;
  return session.config;
}

/** The caller by the current token (or the proxy's headers); null when not signed in. */
export async function loadMe(): Promise<Me | null> {
  try {
    session.me = await fetchMe();
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    session.me = null;
  }
  return session.me;
}

export async function signIn(jwt: string): Promise<Me | null> {
  token.set(jwt.trim());
  const me = await loadMe();
  if (!me) token.clear();
  return me;
}

export function signOut(): void {
  token.clear();
  session.me = null;
}

/** The API decides; the console only hides what the caller's roles may not attempt. */
export function can(action: string): boolean {
  return session.me?.permissions.includes(action) ?? false;
}
