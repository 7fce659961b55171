// The gateway's HTTP API (login, logout, the auth probe) and the WebSocket connection with
// reconnection: exponential backoff, a keep-alive probe that notices a dead network, and a fresh
// start on `online` and when the page becomes visible again (a laptop waking up).

/** GET /api/auth/check (200 {"authenticated": bool}): true when the session cookie is valid. */
export async function checkAuth() {
  const response = await fetch("/api/auth/check", { credentials: "same-origin", cache: "no-store" });
  if (response.status !== 200) throw new Error(`the server answered ${response.status} to the login check`);
  const body = await response.json();
  return body.authenticated === true;
}

/**
 * POST /api/auth/login. Resolves to {ok: true} or {ok: false, status, message, retryAfter}.
 * The key goes in the body only; nothing but the HttpOnly cookie is remembered.
 */
export async function login(key) {
  let response;
  try {
    response = await fetch("/api/auth/login", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ key }),
    });
  } catch {
    return { ok: false, status: 0, message: "Cannot reach the server. Check the connection and try again." };
  }
  if (response.ok) return { ok: true };
  let serverMessage = "";
  try {
    serverMessage = (await response.json()).error || "";
  } catch { /* not JSON */ }
  if (response.status === 401) return { ok: false, status: 401, message: "Wrong key." };
  if (response.status === 429) {
    const retryAfter = Math.max(1, parseInt(response.headers.get("Retry-After") || "15", 10) || 15);
    return { ok: false, status: 429, retryAfter, message: "Too many failed attempts." };
  }
  return { ok: false, status: response.status, message: serverMessage || `Login failed (${response.status}).` };
}

/**
 * A JSON request to the REST API with the session cookie (same origin, so the browser sends the
 * Origin the gateway checks on changes). Resolves to {ok, status, body}; never throws.
 */
export async function api(method, path, body) {
  try {
    const response = await fetch(path, {
      method,
      credentials: "same-origin",
      cache: "no-store",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let parsed = null;
    try {
      parsed = await response.json();
    } catch { /* no JSON body */ }
    return { ok: response.ok, status: response.status, body: parsed };
  } catch {
    return { ok: false, status: 0, body: { error: "cannot reach the server" } };
  }
}

export async function logout() {
  try {
    await fetch("/api/auth/logout", { method: "POST", credentials: "same-origin" });
  } catch { /* the cookie goes with the page anyway */ }
}

const KEEPALIVE_MS = 20000;
const KEEPALIVE_TIMEOUT_MS = 10000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 15000;
const REQUEST_TIMEOUT_MS = 15000;

/**
 * One WebSocket to /ws, authenticated by the cookie (the server sends auth.success first).
 * States: "connecting", "open", "offline" (waiting to retry), "stopped".
 * Callbacks: onState(state, detail), onOpen(), onMessage(msg), onAuthLost().
 */
export class Connection {
  constructor({ onState, onOpen, onMessage, onAuthLost }) {
    this.onState = onState;
    this.onOpen = onOpen;
    this.onMessage = onMessage;
    this.onAuthLost = onAuthLost;
    this.ws = null;
    this.state = "stopped";
    this.attempt = 0;
    this.nextId = 1;
    this.pending = new Map();
    this.retryTimer = null;
    this.keepaliveTimer = null;
    this.retryAt = 0;
    this.wakeUp = () => {
      if (this.state === "offline") this.connectNow();
      else if (this.state === "open") this.probe();
    };
    this.onVisible = () => {
      if (document.visibilityState === "visible") this.wakeUp();
    };
  }

  get isOpen() {
    return this.state === "open";
  }

  start() {
    if (this.state !== "stopped") return;
    window.addEventListener("online", this.wakeUp);
    document.addEventListener("visibilitychange", this.onVisible);
    this.connect();
  }

  stop() {
    this.state = "stopped";
    window.removeEventListener("online", this.wakeUp);
    document.removeEventListener("visibilitychange", this.onVisible);
    clearTimeout(this.retryTimer);
    clearInterval(this.keepaliveTimer);
    this.abandonSocket();
    this.failPending("disconnected");
    this.onState("stopped");
  }

  connectNow() {
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    this.connect();
  }

  connect() {
    this.abandonSocket();
    this.setState("connecting");
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    let ws;
    try {
      ws = new WebSocket(`${scheme}//${location.host}/ws`);
    } catch (error) {
      this.lost(0, String(error));
      return;
    }
    this.ws = ws;
    let authenticated = false;
    // A valid cookie gets auth.success at once; a socket the server keeps waiting was not authenticated
    // (say the gateway restarted and forgot the login): ask the login check instead of waiting it out.
    ws.onopen = () => {
      setTimeout(() => {
        if (this.ws === ws && !authenticated) {
          this.abandonSocket();
          this.checkAuthThenRetry("not authenticated");
        }
      }, 3000);
    };
    ws.onmessage = (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "auth.success") {
        authenticated = true;
        this.attempt = 0;
        this.setState("open");
        clearInterval(this.keepaliveTimer);
        this.keepaliveTimer = setInterval(() => this.probe(), KEEPALIVE_MS);
        this.onOpen();
        return;
      }
      if (message.type === "auth.error") {
        // The cookie was refused (expired or revoked): the login page decides.
        this.abandonSocket();
        this.checkAuthThenRetry();
        return;
      }
      if (message.type === "reply" && message.id !== undefined && this.pending.has(message.id)) {
        const { resolve, timer } = this.pending.get(message.id);
        this.pending.delete(message.id);
        clearTimeout(timer);
        resolve(message);
        return;
      }
      this.onMessage(message);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (event.code === 1008 || !authenticated) {
        // Logged out elsewhere, or refused before authentication: ask whether the login still holds.
        this.checkAuthThenRetry(event.reason);
      } else {
        this.lost(event.code, event.reason);
      }
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  async checkAuthThenRetry(reason) {
    clearInterval(this.keepaliveTimer);
    this.failPending("disconnected");
    if (this.state === "stopped") return;
    try {
      if (!(await checkAuth())) {
        this.stop();
        this.onAuthLost(reason);
        return;
      }
    } catch { /* the server is unreachable: retry below */ }
    this.lost(0, reason);
  }

  /** The socket is gone: fail what waits for a reply and retry after a growing delay. */
  lost(code, reason) {
    clearInterval(this.keepaliveTimer);
    this.failPending("disconnected");
    if (this.state === "stopped") return;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.setState("offline", { retryAt: this.retryAt, reason });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** Drops the socket without waiting for a closing handshake (a dead network never answers). */
  abandonSocket() {
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try {
      ws.close();
    } catch { /* already closed */ }
  }

  /** A network drop on purpose (automation and tests): the same path as a real one. */
  drop() {
    if (!this.ws) return;
    this.abandonSocket();
    this.lost(0, "dropped");
  }

  probe() {
    if (!this.isOpen || this.probing) return;
    this.probing = true;
    this.request({ type: "list" }, KEEPALIVE_TIMEOUT_MS)
      .then((reply) => { if (reply.ok && reply.sessions) this.onMessage({ type: "sessions-listed", sessions: reply.sessions }); })
      .catch((error) => {
        if (error.message === "timeout" && this.isOpen) this.drop();
      })
      .finally(() => { this.probing = false; });
  }

  setState(state, detail) {
    this.state = state;
    this.onState(state, detail);
  }

  /** Sends without waiting; false when not connected. */
  send(message) {
    if (!this.isOpen || !this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  /** Sends with an id and resolves with the reply (rejects when disconnected or after a timeout). */
  request(message, timeoutMs = REQUEST_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      if (!this.send({ ...message, id })) {
        reject(new Error("not connected"));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error("timeout"));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
    });
  }

  failPending(why) {
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(new Error(why));
    }
    this.pending.clear();
  }
}
