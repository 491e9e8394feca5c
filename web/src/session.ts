// Who is signed in: the token (session storage), the service's sign-in config and GET /me.
import { reactive } from "vue";
import { ApiError, get, token } from "./api";

export interface Me {
  sub: string;
  name: string;
  unit: string;
  roles: string[];
  scope_everything: boolean;
  scope_subtrees: string[];
  permissions: string[];
}

export interface ConsoleConfig {
  auth_mode: "jwt" | "header";
  demo: boolean;
}

export const session = reactive<{ me: Me | null; config: ConsoleConfig | null }>({
  me: null,
  config: null,
});

export async function loadConfig(): Promise<ConsoleConfig> {
  if (!session.config) session.config = await get<ConsoleConfig>("/console/config");
  return session.config;
}

/** The caller by the current token (or the proxy's headers); null when not signed in. */
export async function loadMe(): Promise<Me | null> {
  try {
    session.me = await get<Me>("/me");
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
