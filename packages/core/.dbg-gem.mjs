// packages/core/src/gateway.ts
import { createServer } from "node:http";
import bcrypt3 from "bcrypt";

// packages/core/src/auth/admin.ts
import bcrypt from "bcrypt";

// packages/core/src/clock.ts
var systemClock = { now: () => Date.now() };
function setTimer(clock, fn, ms) {
  if (clock.setTimer) return clock.setTimer(fn, ms);
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
}
function isoTime(ms) {
  return new Date(ms).toISOString();
}

// packages/core/src/errors.ts
import { ERROR_CODES } from "@opendray/sdk/wire";
var STATUS_BY_CODE = {
  invalid_json: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  missing_scope: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  agent_busy: 409,
  agent_blocked: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  upstream_error: 502,
  unavailable: 503,
  upstream_timeout: 504
};
var GatewayError = class extends Error {
  status;
  code;
  headers;
  constructor(code, message, options = {}) {
    super(message, options.cause === void 0 ? void 0 : { cause: options.cause });
    this.name = "GatewayError";
    this.code = code;
    this.status = STATUS_BY_CODE[code];
    this.headers = options.headers ?? {};
  }
};
var badRequest = (message) => new GatewayError("validation_failed", message);
var notFound = (what = "resource") => new GatewayError("not_found", `${what} not found`);
var conflict = (message) => new GatewayError("conflict", message);
var forbidden = (message = "forbidden") => new GatewayError("forbidden", message);
var missingScope = (scope) => new GatewayError("missing_scope", `missing scope: ${scope}`);
var unavailable = (message) => new GatewayError("unavailable", message);
var unauthorized = () => new GatewayError("unauthorized", "unauthorized", { headers: { "WWW-Authenticate": 'Bearer realm="opendray"' } });
var rateLimited = (retryAfterS, message = "too many requests") => new GatewayError("rate_limited", message, { headers: { "Retry-After": String(Math.max(1, Math.ceil(retryAfterS))) } });
function toGatewayError(err) {
  if (err instanceof GatewayError) return err;
  return new GatewayError("internal_error", "internal error", { cause: err });
}

// packages/core/src/security.ts
import { createHash, randomBytes, randomFillSync, timingSafeEqual } from "node:crypto";
var idPool = Buffer.alloc(4095);
var idPoolPos = idPool.length;
function randomIdChars() {
  if (idPoolPos + 9 > idPool.length) {
    randomFillSync(idPool);
    idPoolPos = 0;
  }
  const out = idPool.toString("base64url", idPoolPos, idPoolPos + 9);
  idPoolPos += 9;
  return out;
}
function newId(prefix) {
  return `${prefix}_${randomIdChars()}`;
}
function randomToken(bytes2) {
  return randomBytes(bytes2).toString("base64url");
}
function sha256Hex(value) {
  return createHash("sha256").update(value).digest("hex");
}
function safeEqual(a, b) {
  const da = createHash("sha256").update(a).digest();
  const db = createHash("sha256").update(b).digest();
  return timingSafeEqual(da, db);
}

// packages/core/src/auth/admin.ts
var dummyHash;
var dummyHashOf = (cost) => dummyHash ??= bcrypt.hash(randomToken(16), cost);
function createAdminAuth(deps) {
  const principalFor = (via, tokenDigest) => ({
    kind: "admin",
    id: "admin",
    username: deps.credentials?.username ?? "admin",
    via,
    ...tokenDigest ? { tokenDigest } : {}
  });
  const sessionTokens = {
    async verify(token2) {
      if (!token2.startsWith("odt_")) return null;
      const digest2 = sha256Hex(token2);
      const record = await deps.tokens.get(digest2);
      if (!record) return null;
      if (Date.parse(record.expires_at) <= deps.clock.now()) {
        await deps.tokens.delete(digest2);
        return null;
      }
      return { ...principalFor("session", digest2), username: record.username };
    }
  };
  const staticToken = {
    async verify(token2) {
      if (!deps.staticToken || !safeEqual(token2, deps.staticToken)) return null;
      return principalFor("static");
    }
  };
  async function login(username, password, remoteAddr) {
    const wait = deps.loginFailures.retryAfter(remoteAddr);
    if (wait > 0) throw rateLimited(wait, "too many failed logins");
    const creds = deps.credentials;
    const passwordOk = await bcrypt.compare(password, creds?.passwordHash ?? await dummyHashOf(10));
    const userOk = creds !== null && safeEqual(username, creds.username);
    if (!passwordOk || !userOk) {
      deps.loginFailures.fail(remoteAddr);
      throw new GatewayError("unauthorized", "invalid credentials", {
        headers: { "WWW-Authenticate": 'Bearer realm="opendray"' }
      });
    }
    deps.loginFailures.reset(remoteAddr);
    const token2 = `odt_${randomToken(32)}`;
    const issued = deps.clock.now();
    const record = {
      digest: sha256Hex(token2),
      username: creds.username,
      issued_at: isoTime(issued),
      expires_at: isoTime(issued + deps.tokenTtlMs)
    };
    await deps.tokens.put(record);
    return { token: token2, username: record.username, issued_at: record.issued_at, expires_at: record.expires_at };
  }
  async function logout(principal) {
    if (principal.tokenDigest) await deps.tokens.delete(principal.tokenDigest);
  }
  return { login, logout, verifiers: [staticToken, sessionTokens] };
}

// packages/core/src/auth/authenticate.ts
function createAuthenticator(verifiers, failures) {
  return {
    async authenticate(token2, remoteAddr) {
      if (!token2) throw unauthorized();
      const wait = failures.retryAfter(remoteAddr);
      if (wait > 0) throw rateLimited(wait, "too many failed credentials");
      for (const verifier of verifiers) {
        const principal = await verifier.verify(token2);
        if (principal) return principal;
      }
      failures.fail(remoteAddr);
      throw unauthorized();
    }
  };
}

// packages/core/src/auth/rate-limit.ts
function createRateLimiter({ max, windowMs, maxKeys = 1e4, clock }) {
  const windows = /* @__PURE__ */ new Map();
  const current = (key) => {
    const w = windows.get(key);
    if (w && clock.now() - w.start >= windowMs) {
      windows.delete(key);
      return void 0;
    }
    return w;
  };
  return {
    retryAfter(key) {
      const w = current(key);
      if (!w || w.count < max) return 0;
      return Math.max(1, Math.ceil((w.start + windowMs - clock.now()) / 1e3));
    },
    fail(key) {
      const w = current(key);
      if (w) {
        w.count++;
        return;
      }
      if (windows.size >= maxKeys) windows.delete(windows.keys().next().value);
      windows.set(key, { start: clock.now(), count: 1 });
    },
    reset(key) {
      windows.delete(key);
    }
  };
}

// packages/core/src/bus/local-bus.ts
import * as mittModule from "mitt";
import { randomBytes as randomBytes2 } from "node:crypto";

// packages/core/src/bus/topics.ts
function topicMatches(pattern, topic) {
  if (pattern === "*") return true;
  if (pattern.endsWith(".*")) return topic.startsWith(pattern.slice(0, -1));
  return pattern === topic;
}
function anyTopicMatches(patterns, topic) {
  return patterns.some((p) => topicMatches(p, topic));
}

// packages/core/src/bus/local-bus.ts
var mitt = mittModule.default;
function createLocalBus({ clock, logSize = 1e4, logBytes = 32 * 1024 * 1024, onListenerError }) {
  if (!Number.isInteger(logSize) || logSize < 1) throw new TypeError(`logSize must be an integer >= 1 (got ${logSize})`);
  const emitter = mitt();
  const log = new Array(logSize);
  const sizes = new Float64Array(logSize);
  const epoch = randomBytes2(6).toString("base64url");
  let seq = 0;
  let oldest = 1;
  let bytes2 = 0;
  const named = /* @__PURE__ */ new Map();
  const pending = [];
  let dispatching = false;
  const evictOldest = () => {
    const slot = oldest % logSize;
    bytes2 -= sizes[slot];
    sizes[slot] = 0;
    log[slot] = void 0;
    oldest++;
  };
  const record = (event) => {
    if (event.seq - oldest + 1 > logSize) evictOldest();
    const slot = event.seq % logSize;
    const size2 = approximateBytes(event.data) + event.topic.length + 64;
    log[slot] = event;
    sizes[slot] = size2;
    bytes2 += size2;
    while (bytes2 > logBytes && oldest < event.seq) evictOldest();
  };
  const dispatch = (event) => {
    pending.push(event);
    if (dispatching) return;
    dispatching = true;
    try {
      for (let next = pending.shift(); next; next = pending.shift()) emitter.emit("event", next);
    } finally {
      dispatching = false;
    }
  };
  const subscribe = (patterns, listener) => {
    const list2 = typeof patterns === "string" ? [patterns] : [...patterns];
    const handler = (event) => {
      if (!anyTopicMatches(list2, event.topic)) return;
      try {
        listener(event);
      } catch (err) {
        onListenerError?.(err, event.topic);
      }
    };
    emitter.on("event", handler);
    return () => emitter.off("event", handler);
  };
  return {
    epoch,
    get seq() {
      return seq;
    },
    publish(topic, data, meta) {
      const event = { topic, ts: isoTime(clock.now()), data, seq: ++seq };
      if (meta?.tenant) event.tenant = meta.tenant;
      record(event);
      dispatch(event);
      return event;
    },
    subscribe,
    replay(since2) {
      const after = Number.isFinite(since2) ? Math.max(0, Math.floor(since2)) : 0;
      const events = [];
      for (let s2 = Math.max(after + 1, oldest); s2 <= seq; s2++) events.push(log[s2 % logSize]);
      const gap = after + 1 < oldest ? { from: after + 1, to: oldest - 1 } : null;
      return { events, gap };
    },
    on(pattern, listener) {
      const byListener = named.get(pattern) ?? /* @__PURE__ */ new Map();
      named.set(pattern, byListener);
      if (!byListener.has(listener)) byListener.set(listener, subscribe(pattern, listener));
    },
    off(pattern, listener) {
      const byListener = named.get(pattern);
      byListener?.get(listener)?.();
      byListener?.delete(listener);
      if (byListener?.size === 0) named.delete(pattern);
    },
    close() {
      emitter.all.clear();
      named.clear();
    }
  };
}
function approximateBytes(value, depth = 0) {
  if (typeof value === "string") return value.length + 2;
  if (value === null || typeof value !== "object") return 8;
  if (depth >= 3) return 64;
  let total = 2;
  if (Array.isArray(value)) {
    for (const item of value) total += approximateBytes(item, depth + 1) + 1;
    return total;
  }
  for (const key in value) total += key.length + 4 + approximateBytes(value[key], depth + 1);
  return total;
}

// packages/core/src/calllog/call-log.ts
var PRUNE_EVERY_MS = 6e4;
function createCallLog(opts) {
  const maxRows = opts.maxRows ?? 1e5;
  const maxAgeMs = opts.maxAgeMs ?? 30 * 24 * 36e5;
  const maxQueued = opts.maxQueued ?? 5e4;
  let queue = [];
  let dropped = 0;
  let writing = Promise.resolve();
  let appended = 0;
  let lastPrune = opts.clock.now();
  const flush = () => {
    writing = writing.then(async () => {
      if (!queue.length) return;
      const batch = queue;
      queue = [];
      try {
        await opts.store.append(batch);
        appended += batch.length;
        const now = opts.clock.now();
        if (appended >= 1e3 || now - lastPrune >= PRUNE_EVERY_MS) {
          appended = 0;
          lastPrune = now;
          await opts.store.prune({ maxRows, olderThan: now - maxAgeMs });
        }
      } catch (err) {
        opts.logger.error("call log write failed", { error: err, entries: batch.length });
      }
      if (dropped) {
        opts.logger.warn("call log queue overflowed", { dropped });
        dropped = 0;
      }
    });
    return writing;
  };
  const timer = setInterval(() => void flush(), opts.flushIntervalMs ?? 250);
  timer.unref();
  return {
    record(entry) {
      if (queue.length >= maxQueued) {
        const n = Math.max(1, Math.ceil(maxQueued / 10));
        queue.splice(0, n);
        dropped += n;
      }
      queue.push({ id: newId("call"), ...entry });
    },
    async query(q) {
      await flush();
      return opts.store.query(q);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    }
  };
}

// packages/core/src/calllog/record-inbound.ts
function recordInboundCalls(callLog) {
  return (info) => {
    const isIntegration = info.principal?.kind === "integration";
    if (!isIntegration && !info.rejectedCredential) return;
    callLog.record({
      ts: isoTime(info.startedAt),
      ...isIntegration ? { integration_id: info.principal.id } : {},
      direction: isIntegration ? "inbound" : "rejected",
      method: info.method,
      route: info.route,
      path: info.path,
      status_code: info.status,
      duration_ms: info.durationMs,
      bytes_in: info.bytesIn,
      bytes_out: info.bytesOut,
      request_id: info.requestId,
      remote_addr: info.remoteAddr
    });
  };
}
function recordRejectedUpgrades(callLog, now) {
  return (info) => callLog.record({
    ts: isoTime(now()),
    direction: "rejected",
    method: "GET",
    route: info.path,
    path: info.path,
    status_code: info.status,
    duration_ms: 0,
    bytes_in: 0,
    bytes_out: 0,
    request_id: info.requestId,
    remote_addr: info.remoteAddr
  });
}

// packages/core/src/channels/config-fields.ts
var field = (name) => `config.${name}`;
function stringField(config, name, opts = {}) {
  const v = config[name];
  if (v === void 0 || v === null) {
    if (opts.required) throw new TypeError(`${field(name)} is required`);
    return void 0;
  }
  if (typeof v !== "string" || v.length === 0) throw new TypeError(`${field(name)} must be a non-empty string`);
  if (v.length > (opts.max ?? 2048)) throw new TypeError(`${field(name)} must be at most ${opts.max ?? 2048} characters`);
  if (opts.pattern && !opts.pattern.test(v)) throw new TypeError(`${field(name)} has an invalid format`);
  return v;
}
function intField(config, name, fallback, min, max) {
  const v = config[name];
  if (v === void 0 || v === null) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new TypeError(`${field(name)} must be an integer from ${min} to ${max}`);
  }
  return v;
}
function boolField(config, name, fallback) {
  const v = config[name];
  if (v === void 0 || v === null) return fallback;
  if (typeof v !== "boolean") throw new TypeError(`${field(name)} must be a boolean`);
  return v;
}
function urlField(config, name, opts = {}) {
  const raw = stringField(config, name, { required: opts.required && opts.fallback === void 0, max: 2048 }) ?? opts.fallback;
  if (raw === void 0) return void 0;
  let url2;
  try {
    url2 = new URL(raw);
  } catch {
    throw new TypeError(`${field(name)} must be an http or https URL`);
  }
  if (url2.protocol !== "http:" && url2.protocol !== "https:" || !url2.hostname) {
    throw new TypeError(`${field(name)} must be an http or https URL`);
  }
  return opts.trimSlash ? raw.replace(/\/+$/, "") : raw;
}
function stringMapField(config, name, maxKeys = 32) {
  const v = config[name];
  if (v === void 0 || v === null) return void 0;
  if (typeof v !== "object" || Array.isArray(v)) throw new TypeError(`${field(name)} must be an object of strings`);
  const entries = Object.entries(v);
  if (entries.length > maxKeys) throw new TypeError(`${field(name)} may have at most ${maxKeys} entries`);
  for (const [k, val] of entries) {
    if (typeof val !== "string" || val.length > 4096) throw new TypeError(`${field(name)}.${k} must be a string`);
  }
  return v;
}
function idField(config, name) {
  const v = config[name];
  if (v === void 0 || v === null) return void 0;
  if (typeof v === "number" && Number.isSafeInteger(v) || typeof v === "string" && v.length > 0 && v.length <= 256) return String(v);
  throw new TypeError(`${field(name)} must be a string or an integer`);
}
function idListField(config, name, maxItems = 1e3) {
  const v = config[name];
  if (v === void 0 || v === null) return void 0;
  if (!Array.isArray(v) || v.length > maxItems) throw new TypeError(`${field(name)} must be a list of at most ${maxItems} ids`);
  return v.map((item, i) => {
    if (typeof item === "number" && Number.isSafeInteger(item) || typeof item === "string" && item.length > 0 && item.length <= 256) {
      return String(item);
    }
    throw new TypeError(`${field(name)}[${i}] must be a string or an integer`);
  });
}

// packages/core/src/channels/adapters/http-client.ts
var ChannelHttpError = class extends Error {
  constructor(message, kind2) {
    super(message);
    this.kind = kind2;
    this.name = "ChannelHttpError";
  }
  kind;
};
async function postJson(url2, json2, opts) {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  try {
    const res = await fetch(url2, {
      method: "POST",
      headers: { ...opts.headers, "content-type": "application/json", accept: "application/json" },
      body: json2,
      redirect: "manual",
      signal
    });
    const text = await readCapped(res, opts.maxResponseBytes ?? 4 * 1024 * 1024);
    return { status: res.status, headers: res.headers, body: text };
  } catch (err) {
    if (err instanceof ChannelHttpError) throw err;
    if (timeout.aborted) throw new ChannelHttpError(`timed out after ${opts.timeoutMs} ms`, "timeout");
    if (opts.signal?.aborted) throw new ChannelHttpError("aborted", "aborted");
    throw new ChannelHttpError(`connection failed (${networkReason(err)})`, "network");
  }
}
async function readCapped(res, limit) {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks = [];
  let size2 = 0;
  for (; ; ) {
    const { done, value } = await reader.read();
    if (done) break;
    size2 += value.byteLength;
    if (size2 > limit) {
      await reader.cancel().catch(() => void 0);
      throw new ChannelHttpError(`response larger than ${limit} bytes`, "too_large");
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
function networkReason(err) {
  const cause = err?.cause;
  if (cause && typeof cause.code === "string" && /^[A-Z0-9_]{2,40}$/.test(cause.code)) return cause.code;
  return "network error";
}

// packages/core/src/channels/adapters/telegram-api.ts
var TelegramApiError = class extends Error {
  constructor(message, kind2, retryAfterS) {
    super(message);
    this.kind = kind2;
    this.retryAfterS = retryAfterS;
    this.name = "TelegramApiError";
  }
  kind;
  retryAfterS;
};
function createTelegramApi(baseUrl, token2) {
  const scrub = (text) => text.split(token2).join("<token>").split(encodeURIComponent(token2)).join("<token>");
  return {
    async call(method, params, opts) {
      let answer;
      try {
        answer = await postJson(`${baseUrl}/bot${token2}/${method}`, JSON.stringify(params), {
          timeoutMs: opts.timeoutMs,
          signal: opts.signal
        });
      } catch (err) {
        const kind2 = err instanceof ChannelHttpError && err.kind !== "too_large" ? err.kind : "malformed";
        throw new TelegramApiError(`telegram ${method}: ${scrub(err.message)}`, kind2);
      }
      let parsed;
      try {
        parsed = JSON.parse(answer.body);
      } catch {
        throw new TelegramApiError(`telegram ${method}: malformed response (HTTP ${answer.status})`, "malformed");
      }
      if (typeof parsed !== "object" || parsed === null) {
        throw new TelegramApiError(`telegram ${method}: malformed response (HTTP ${answer.status})`, "malformed");
      }
      const p = parsed;
      if (p.ok === true && answer.status >= 200 && answer.status < 300 && "result" in p) return p.result;
      const retryAfter = p.parameters?.retry_after;
      const retryAfterS = typeof retryAfter === "number" && Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : void 0;
      const description = typeof p.description === "string" ? ` ${scrub(p.description).slice(0, 200)}` : "";
      if (p.ok !== false && answer.status >= 200 && answer.status < 300) {
        throw new TelegramApiError(`telegram ${method}: malformed response (HTTP ${answer.status})`, "malformed");
      }
      throw new TelegramApiError(`telegram ${method}: HTTP ${answer.status}${description}`, "http", retryAfterS);
    }
  };
}

// packages/core/src/channels/adapters/telegram.ts
var DEFAULT_API = "https://api.telegram.org";
var MAX_TEXT = 4096;
var MAX_RETRY_AFTER_MS = 36e5;
var MIN_POLL_INTERVAL_MS = 200;
var telegramAdapterFactory = {
  secretKeys: ["bot_token"],
  validateConfig(config) {
    const out = {
      // The token goes into the URL path: digits, a colon, then URL-safe characters only.
      bot_token: stringField(config, "bot_token", { required: true, max: 256, pattern: /^\d{1,20}:[A-Za-z0-9_-]{1,200}$/ }),
      api_base_url: urlField(config, "api_base_url", { fallback: DEFAULT_API, trimSlash: true }),
      poll: boolField(config, "poll", true),
      poll_timeout_s: intField(config, "poll_timeout_s", 30, 0, 50),
      request_timeout_ms: intField(config, "request_timeout_ms", 1e4, 100, 12e4),
      backoff_initial_ms: intField(config, "backoff_initial_ms", 1e3, 10, 6e4),
      backoff_max_ms: intField(config, "backoff_max_ms", 6e4, 10, MAX_RETRY_AFTER_MS)
    };
    if (out.backoff_max_ms < out.backoff_initial_ms) {
      throw new TypeError("config.backoff_max_ms must be at least config.backoff_initial_ms");
    }
    const defaultChat = idField(config, "default_chat_id");
    if (defaultChat !== void 0) out.default_chat_id = defaultChat;
    const allowed = idListField(config, "allowed_chat_ids");
    if (allowed) out.allowed_chat_ids = allowed;
    return out;
  },
  create(config) {
    return createTelegramAdapter(config);
  }
};
function createTelegramAdapter(config) {
  const api2 = createTelegramApi(config.api_base_url, config.bot_token);
  const poll = config.poll;
  const pollTimeoutS = config.poll_timeout_s;
  const requestTimeoutMs = config.request_timeout_ms;
  const backoffInitial = config.backoff_initial_ms;
  const backoffMax = config.backoff_max_ms;
  const defaultChat = config.default_chat_id;
  const allowed = config.allowed_chat_ids ? new Set(config.allowed_chat_ids) : null;
  let loop = null;
  async function pollLoop(ctx) {
    let offset;
    let backoff = backoffInitial;
    while (!ctx.signal.aborted) {
      const began = ctx.clock.now();
      try {
        const params = { timeout: pollTimeoutS, allowed_updates: ["message", "channel_post"] };
        if (offset !== void 0) params.offset = offset;
        const result2 = await api2.call("getUpdates", params, { timeoutMs: pollTimeoutS * 1e3 + requestTimeoutMs, signal: ctx.signal });
        if (!Array.isArray(result2)) throw new TelegramApiError("telegram getUpdates: malformed response (result is not a list)", "malformed");
        backoff = backoffInitial;
        for (const update of result2) {
          const id2 = update?.update_id;
          if (typeof id2 !== "number" || !Number.isSafeInteger(id2)) continue;
          offset = Math.max(offset ?? 0, id2 + 1);
          const message = toInbound(update);
          if (message && (!allowed || allowed.has(message.conversation_id))) ctx.onInbound(message);
        }
        const elapsed = ctx.clock.now() - began;
        if (result2.length === 0 && elapsed < MIN_POLL_INTERVAL_MS) await sleep(MIN_POLL_INTERVAL_MS - elapsed, ctx.signal);
      } catch (err) {
        if (ctx.signal.aborted) return;
        ctx.onError(err instanceof Error ? err : new Error("telegram getUpdates failed"));
        const retryAfterS = err instanceof TelegramApiError ? err.retryAfterS : void 0;
        let wait;
        if (retryAfterS !== void 0) wait = Math.min(retryAfterS * 1e3, MAX_RETRY_AFTER_MS);
        else {
          wait = backoff * (0.8 + Math.random() * 0.4);
          backoff = Math.min(backoff * 2, backoffMax);
        }
        await sleep(wait, ctx.signal);
      }
    }
  }
  return {
    capabilities: { inbound: poll, outbound: true, commands: true },
    async start(ctx) {
      if (poll) loop = pollLoop(ctx).catch((err) => ctx.logger.error("telegram poll loop crashed", { channel_id: ctx.channelId, error: err }));
    },
    async stop() {
      await loop;
      loop = null;
    },
    checkMessage(message) {
      const chat = message.conversation_id ?? defaultChat;
      if (chat === void 0 || chat === "") return "conversation_id is required (this channel has no default_chat_id)";
      if (allowed && !allowed.has(chat)) return "conversation_id is not one of the channel's allowed_chat_ids";
      return null;
    },
    async send(message, signal) {
      const chat = message.conversation_id ?? defaultChat;
      let messageId;
      for (const part of splitText(message.text)) {
        const result2 = await callHonouringRetryAfter(
          () => api2.call("sendMessage", { chat_id: chat, text: part }, { timeoutMs: requestTimeoutMs, signal }),
          signal
        );
        const id2 = result2?.message_id;
        if (typeof id2 === "number" || typeof id2 === "string") messageId = String(id2);
      }
      return messageId === void 0 ? { conversation_id: chat } : { conversation_id: chat, message_id: messageId };
    }
  };
}
async function callHonouringRetryAfter(call, signal) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof TelegramApiError) || err.retryAfterS === void 0 || attempt >= 2 || signal.aborted) throw err;
      await sleep(Math.min(err.retryAfterS * 1e3, MAX_RETRY_AFTER_MS), signal);
      if (signal.aborted) throw err;
    }
  }
}
function toInbound(update) {
  const m = update.message ?? update.channel_post;
  if (!m || typeof m !== "object") return null;
  const text = typeof m.text === "string" ? m.text : typeof m.caption === "string" ? m.caption : null;
  const chat = m.chat;
  if (text === null || text === "" || !chat || typeof chat.id !== "number" && typeof chat.id !== "string") return null;
  const from = m.from;
  const name = [from?.first_name, from?.last_name].filter((s2) => typeof s2 === "string" && s2).join(" ");
  const author = typeof from?.username === "string" ? from.username : name || (typeof chat.title === "string" ? chat.title : "");
  const message = { conversation_id: String(chat.id), author, text };
  if (typeof from?.id === "number" || typeof from?.id === "string") message.author_id = String(from.id);
  if (typeof m.message_id === "number") message.message_id = String(m.message_id);
  return message;
}
function splitText(text) {
  const parts = [];
  let i = 0;
  while (i < text.length) {
    let end = Math.min(i + MAX_TEXT, text.length);
    if (end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1])) end--;
    parts.push(text.slice(i, end));
    i = end;
  }
  return parts.length ? parts : [""];
}
function sleep(ms, signal) {
  return new Promise((resolve3) => {
    if (signal.aborted) return resolve3();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve3();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

// packages/core/src/channels/adapters/signature.ts
import { createHmac } from "node:crypto";
var SIGNATURE_HEADER = "x-opendray-signature";
var TIMESTAMP_HEADER = "x-opendray-timestamp";
var TOKEN_HEADER = "x-opendray-channel-token";
var SIGNATURE_TOLERANCE_S = 300;
function signBody(secret, timestampS, body) {
  const mac = createHmac("sha256", secret);
  mac.update(`${timestampS}.`);
  mac.update(body);
  return `sha256=${mac.digest("hex")}`;
}
var header = (headers, name) => {
  const v = headers[name];
  return typeof v === "string" ? v : void 0;
};
function provesSecret(secret, headers, rawBody, nowMs) {
  const signature = header(headers, SIGNATURE_HEADER);
  if (signature !== void 0) {
    const ts2 = header(headers, TIMESTAMP_HEADER);
    if (!ts2 || !/^\d{1,12}$/.test(ts2)) return false;
    const tsNum = Number(ts2);
    if (Math.abs(nowMs / 1e3 - tsNum) > SIGNATURE_TOLERANCE_S) return false;
    return safeEqual(signature.trim().toLowerCase(), signBody(secret, tsNum, rawBody));
  }
  const auth = header(headers, "authorization");
  const bearer = auth ? /^Bearer[ ]+(\S+)\s*$/i.exec(auth)?.[1] : void 0;
  const token2 = bearer ?? header(headers, TOKEN_HEADER);
  return token2 !== void 0 && safeEqual(token2, secret);
}

// packages/core/src/channels/adapters/webhook.ts
var webhookAdapterFactory = {
  secretKeys: ["secret", "url", "headers"],
  validateConfig(config) {
    const out = {
      secret: stringField(config, "secret", { max: 512 }) ?? randomToken(32)
    };
    if (out.secret.length < 16) throw new TypeError("config.secret must be at least 16 characters");
    const url2 = urlField(config, "url");
    if (url2 !== void 0) out.url = url2;
    const headers = stringMapField(config, "headers");
    if (headers !== void 0) {
      for (const name of Object.keys(headers)) {
        if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/.test(name)) throw new TypeError(`config.headers.${name} is not a valid header name`);
      }
      out.headers = headers;
    }
    if (config.timeout_ms !== void 0 && config.timeout_ms !== null) out.timeout_ms = intField(config, "timeout_ms", 1e4, 100, 12e4);
    return out;
  },
  create(config) {
    return createWebhookAdapter(config);
  }
};
function createWebhookAdapter(config) {
  const secret = config.secret;
  const url2 = config.url;
  const headers = config.headers ?? {};
  const timeoutMs = config.timeout_ms ?? 1e4;
  let channelId = "";
  let now = () => Date.now();
  return {
    capabilities: { inbound: true, outbound: url2 !== void 0, commands: true },
    async start(ctx) {
      channelId = ctx.channelId;
      now = () => ctx.clock.now();
    },
    async stop() {
    },
    checkMessage() {
      return url2 === void 0 ? "this channel has no outbound url" : null;
    },
    async send(message, signal) {
      if (url2 === void 0) throw new Error("this channel has no outbound url");
      const payload = { text: message.text, channel_id: channelId };
      if (message.conversation_id !== void 0) payload.conversation_id = message.conversation_id;
      const json2 = JSON.stringify(payload);
      const ts2 = Math.floor(now() / 1e3);
      const answer = await postJson(url2, json2, {
        timeoutMs,
        signal,
        maxResponseBytes: 64 * 1024,
        headers: { ...headers, [SIGNATURE_HEADER]: signBody(secret, ts2, json2), [TIMESTAMP_HEADER]: String(ts2) }
      });
      if (answer.status < 200 || answer.status >= 300) throw new Error(`webhook answered HTTP ${answer.status}`);
    },
    webhook: {
      authenticate: (request) => provesSecret(secret, request.headers, request.rawBody, request.receivedAt),
      parse: parseInbound
    }
  };
}
function parseInbound(body) {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new TypeError("body must be a JSON object");
  const b = body;
  if (typeof b.text !== "string" || b.text.length === 0) throw new TypeError("text is required and must be a non-empty string");
  const message = {
    text: b.text,
    conversation_id: idOf(b.conversation_id, "conversation_id") ?? "",
    author: idOf(b.author, "author") ?? ""
  };
  const authorId = idOf(b.author_id, "author_id");
  if (authorId !== void 0) message.author_id = authorId;
  const messageId = idOf(b.message_id, "message_id");
  if (messageId !== void 0) message.message_id = messageId;
  return [message];
}
function idOf(v, name) {
  if (v === void 0 || v === null) return void 0;
  if (typeof v === "string" && v.length <= 256) return v;
  if (typeof v === "number" && Number.isSafeInteger(v)) return String(v);
  throw new TypeError(`${name} must be a string of at most 256 characters or an integer`);
}

// packages/core/src/channels/inbound.ts
var COMMAND = /^\/([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})(?:@[A-Za-z0-9_]{1,64})?(?:\s+([\s\S]*))?$/;
function inboundEvent(channelId, message) {
  const base = {
    channel_id: channelId,
    conversation_id: message.conversation_id,
    author: message.author
  };
  if (message.author_id !== void 0) base.author_id = message.author_id;
  if (message.message_id !== void 0) base.message_id = message.message_id;
  const m = COMMAND.exec(message.text.trim());
  if (m) {
    const rest = (m[2] ?? "").trim();
    return {
      topic: "channel.command_received",
      data: { ...base, command: m[1].toLowerCase(), args: rest ? rest.split(/\s+/) : [], text: message.text }
    };
  }
  return { topic: "channel.message_received", data: { ...base, text: message.text } };
}

// packages/core/src/channels/runtime.ts
var LIFECYCLE_TIMEOUT_MS = 1e4;
var MAX_ERROR_CHARS = 300;
var NO_CAPABILITIES = { inbound: false, outbound: false, commands: false };
var ChannelRuntime = class {
  constructor(record, factory, deps) {
    this.record = record;
    this.factory = factory;
    this.deps = deps;
    this.adapter = this.build();
  }
  record;
  factory;
  deps;
  adapter = null;
  running = false;
  status = {};
  abort = null;
  queue = Promise.resolve();
  get capabilities() {
    return this.adapter?.capabilities ?? NO_CAPABILITIES;
  }
  get secretKeys() {
    return this.factory?.secretKeys ?? [];
  }
  /** Starts the adapter when the record is enabled, stops it otherwise; rebuilds it first when `rebuild`. */
  sync(rebuild = false) {
    return this.serial(async () => {
      if (rebuild) {
        await this.stopNow();
        this.adapter = this.build();
      }
      if (this.record.enabled) await this.startNow();
      else await this.stopNow();
    });
  }
  /** Stops the adapter for good (delete, gateway close). */
  shutdown() {
    return this.serial(() => this.stopNow());
  }
  /** The signal a delivery should honour besides its own deadline; null when not running. */
  get runSignal() {
    return this.running ? this.abort?.signal ?? null : null;
  }
  /** Records a fault on the status, secrets scrubbed, and logs it. */
  recordError(err) {
    const text = this.scrub(err instanceof Error ? err.message : String(err)).slice(0, MAX_ERROR_CHARS) || "unknown error";
    this.status.last_error = text;
    this.status.last_error_at = isoTime(this.deps.clock.now());
    this.deps.logger.warn("channel fault", { channel_id: this.record.id, kind: this.record.kind, error: text });
    return text;
  }
  recordDelivery() {
    this.status.last_delivery_at = isoTime(this.deps.clock.now());
  }
  /** Replaces every secret config value found in `text` (defence in depth for adapters' messages). */
  scrub(text) {
    let out = text;
    for (const key of this.secretKeys) {
      const v = this.record.config[key];
      if (typeof v === "string" && v.length >= 4) out = out.split(v).join("********");
    }
    return out;
  }
  /** Delivers through the adapter under `signal`; a hung adapter is cut off when `signal` aborts. */
  async send(message, signal) {
    const adapter = this.adapter;
    return new Promise((resolve3, reject) => {
      const onAbort = () => reject(new Error(signal.reason?.name === "TimeoutError" ? "delivery timed out" : "channel stopped"));
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      Promise.resolve().then(() => adapter.send(message, signal)).then(resolve3, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }
  build() {
    if (!this.factory) {
      this.recordError(new Error(`no adapter registered for kind "${this.record.kind}"`));
      return null;
    }
    try {
      return this.factory.create(this.record.config);
    } catch (err) {
      this.recordError(err);
      return null;
    }
  }
  async startNow() {
    if (this.running || !this.adapter) return;
    const adapter = this.adapter;
    const abort = new AbortController();
    this.abort = abort;
    const live = () => !abort.signal.aborted;
    try {
      await bounded(
        adapter.start({
          channelId: this.record.id,
          signal: abort.signal,
          clock: this.deps.clock,
          logger: this.deps.logger,
          onInbound: (message) => {
            if (live()) this.deps.onInbound(this.record.id, message);
          },
          onError: (err) => {
            if (live()) this.recordError(err);
          }
        }),
        "start"
      );
      this.running = true;
    } catch (err) {
      this.recordError(err);
      await this.stopNow();
    }
  }
  async stopNow() {
    const abort = this.abort;
    if (!abort) return;
    this.abort = null;
    this.running = false;
    abort.abort();
    try {
      await bounded(this.adapter?.stop() ?? Promise.resolve(), "stop");
    } catch (err) {
      this.deps.logger.warn("channel adapter failed to stop", { channel_id: this.record.id, error: this.scrub(String(err?.message ?? err)) });
    }
  }
  serial(fn) {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => void 0);
    return next;
  }
};
function bounded(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`adapter ${what} timed out after ${LIFECYCLE_TIMEOUT_MS} ms`)), LIFECYCLE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// packages/core/src/channels/manager.ts
var MAX_CHANNELS = 1e3;
var DELIVERY_TIMEOUT_MS = 3e4;
function createChannelManager(deps) {
  const channels = /* @__PURE__ */ new Map();
  const runtimeDeps = {
    clock: deps.clock,
    logger: deps.logger,
    onInbound: (channelId, message) => publishInbound(channelId, message)
  };
  function publishInbound(channelId, message) {
    const event = inboundEvent(channelId, message);
    deps.bus.publish(event.topic, event.data);
  }
  function runtimeOf(id2) {
    const rt = channels.get(id2);
    if (!rt) throw notFound("channel");
    return rt;
  }
  function factoryOf(kind2) {
    const factory = Object.hasOwn(deps.factories, kind2) ? deps.factories[kind2] : void 0;
    if (!factory) throw badRequest(`kind must be one of: ${Object.keys(deps.factories).join(", ")}`);
    return factory;
  }
  function assertNameFree(name, exceptId) {
    for (const rt of channels.values()) {
      if (rt.record.id !== exceptId && rt.record.name === name) throw conflict(`a channel named "${name}" already exists`);
    }
  }
  function validated(factory, config) {
    try {
      return factory.validateConfig(config);
    } catch (err) {
      if (err instanceof TypeError || err instanceof RangeError) throw badRequest(err.message);
      throw err;
    }
  }
  return {
    /** Loads every stored channel and starts the enabled ones (a failing one only records its error). */
    async start() {
      for (const record of await deps.store.list()) {
        if (channels.has(record.id)) continue;
        const factory = Object.hasOwn(deps.factories, record.kind) ? deps.factories[record.kind] : void 0;
        channels.set(record.id, new ChannelRuntime(record, factory, runtimeDeps));
      }
      await Promise.all([...channels.values()].map((rt) => rt.sync()));
    },
    /** Stops every adapter (long polls are aborted). */
    async stop() {
      await Promise.all([...channels.values()].map((rt) => rt.shutdown()));
    },
    list() {
      return [...channels.values()].sort((a, b) => (a.record.created_at ?? "").localeCompare(b.record.created_at ?? "") || a.record.id.localeCompare(b.record.id));
    },
    get: runtimeOf,
    async create(input) {
      const factory = factoryOf(input.kind);
      const config = validated(factory, input.config);
      assertNameFree(input.name);
      if (channels.size >= MAX_CHANNELS) throw conflict(`a gateway holds at most ${MAX_CHANNELS} channels`);
      const record = {
        id: newId("ch"),
        kind: input.kind,
        name: input.name,
        enabled: input.enabled,
        capabilities: { inbound: false, outbound: false, commands: false },
        config,
        created_at: isoTime(deps.clock.now())
      };
      const rt = new ChannelRuntime(record, factory, runtimeDeps);
      record.capabilities = rt.capabilities;
      channels.set(record.id, rt);
      try {
        await deps.store.put(record);
      } catch (err) {
        channels.delete(record.id);
        throw err;
      }
      await rt.sync();
      return rt;
    },
    async update(id2, patch) {
      const rt = runtimeOf(id2);
      const before = rt.record;
      let config = before.config;
      if (patch.config) {
        const merged = { ...before.config };
        for (const [k, v] of Object.entries(patch.config)) {
          if (v === null) delete merged[k];
          else merged[k] = v;
        }
        config = validated(factoryOf(before.kind), merged);
      }
      if (patch.name !== void 0) assertNameFree(patch.name, id2);
      const reconfigured = patch.config !== void 0;
      rt.record = { ...before, name: patch.name ?? before.name, enabled: patch.enabled ?? before.enabled, config };
      try {
        await deps.store.put(rt.record);
      } catch (err) {
        rt.record = before;
        throw err;
      }
      await rt.sync(reconfigured);
      if (reconfigured) {
        rt.record = { ...rt.record, capabilities: rt.capabilities };
        await deps.store.put(rt.record);
      }
      return rt;
    },
    async remove(id2) {
      const rt = runtimeOf(id2);
      channels.delete(id2);
      await rt.shutdown();
      await deps.store.delete(id2);
    },
    /**
     * Delivers synchronously under a deadline. 404 unknown, 409 not running or no outbound,
     * 400 a message the adapter refuses, 502 a failed delivery (also recorded on the status).
     * `publish` emits `channel.message_sent` on success (not for `/test`).
     */
    async deliver(id2, message, publish) {
      const rt = runtimeOf(id2);
      const runSignal = rt.runSignal;
      if (!runSignal || !rt.adapter) throw conflict("channel is not running");
      if (!rt.capabilities.outbound) throw conflict("channel cannot send messages");
      const problem = rt.adapter.checkMessage?.(message) ?? null;
      if (problem) throw badRequest(problem);
      const began = deps.clock.now();
      const signal = AbortSignal.any([runSignal, AbortSignal.timeout(deps.deliveryTimeoutMs ?? DELIVERY_TIMEOUT_MS)]);
      let result2;
      try {
        result2 = await rt.send(message, signal);
      } catch (err) {
        const text = rt.recordError(err);
        throw new GatewayError("upstream_error", `delivery failed: ${text}`);
      }
      rt.recordDelivery();
      const conversationId2 = result2?.conversation_id ?? message.conversation_id ?? "";
      if (publish) deps.bus.publish("channel.message_sent", { channel_id: id2, conversation_id: conversationId2, text: message.text });
      const outcome = { conversation_id: conversationId2, duration_ms: deps.clock.now() - began };
      if (result2?.message_id !== void 0) outcome.message_id = result2.message_id;
      return outcome;
    },
    /** Publishes messages that arrived over a channel's webhook; 409 when it is not running. */
    receive(id2, messages) {
      const rt = runtimeOf(id2);
      if (!rt.running) throw conflict("channel is not running");
      for (const message of messages) publishInbound(id2, message);
    }
  };
}

// packages/core/src/http/body.ts
async function readJsonBody(req, limitBytes) {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
  const hasBody = Number.isFinite(declared) && declared > 0 || req.headers["transfer-encoding"] !== void 0;
  const type = req.headers["content-type"];
  if (hasBody && !isJsonType(type)) {
    throw new GatewayError("unsupported_media_type", "content type must be application/json");
  }
  const raw = await readLimited(req, limitBytes);
  if (raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    throw new GatewayError("invalid_json", "request body is not valid JSON");
  }
}
function isJsonType(type) {
  if (!type) return false;
  const media = type.split(";")[0].trim().toLowerCase();
  return media === "application/json" || media.startsWith("application/") && media.endsWith("+json");
}
function readLimited(req, limitBytes) {
  return new Promise((resolve3, reject) => {
    const chunks = [];
    let size2 = 0;
    const onData = (chunk) => {
      size2 += chunk.length;
      if (size2 > limitBytes) {
        cleanup();
        req.resume();
        reject(tooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve3(Buffer.concat(chunks, size2));
    };
    const onError = (err) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}
var tooLarge = (limit) => new GatewayError("payload_too_large", `request body exceeds ${limit} bytes`);

// packages/core/src/http/route.ts
var json = (body, status = 200, headers) => ({
  kind: "json",
  status,
  body,
  ...headers ? { headers } : {}
});
var noContent = () => ({ kind: "empty", status: 204 });
var bytes = (body, headers, status = 200) => ({
  kind: "bytes",
  status,
  body,
  headers
});
var handled = () => ({ kind: "handled" });

// packages/core/src/channels/views.ts
var REDACTED = "********";
function channelView(rt, principal) {
  const { record } = rt;
  const view4 = {
    id: record.id,
    kind: record.kind,
    name: record.name,
    enabled: record.enabled,
    running: rt.running,
    capabilities: { ...rt.capabilities }
  };
  if (principal.kind === "admin") {
    view4.config = { ...record.config };
    view4.status = { ...rt.status };
  } else {
    view4.config = redacted(record.config, rt.secretKeys);
  }
  if (record.created_at) view4.created_at = record.created_at;
  return view4;
}
function redacted(config, secretKeys) {
  const out = {};
  for (const [k, v] of Object.entries(config)) out[k] = secretKeys.includes(k) ? REDACTED : v;
  return out;
}

// packages/core/src/channels/routes.ts
var MAX_TEXT_CHARS = 65536;
var TEST_TEXT = "opendray test message";
function objectBody(ctx) {
  const b = ctx.body;
  if (typeof b !== "object" || b === null || Array.isArray(b)) throw badRequest("body must be a JSON object");
  return b;
}
function nameOf(v) {
  if (typeof v !== "string" || v.trim().length === 0 || v.trim().length > 64) throw badRequest("name must be a string of 1\u201364 characters");
  if (/[\u0000-\u001f\u007f]/.test(v)) throw badRequest("name must not contain control characters");
  return v.trim();
}
function configOf(v) {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw badRequest("config must be a JSON object");
  return v;
}
function enabledOf(v) {
  if (typeof v !== "boolean") throw badRequest("enabled must be a boolean");
  return v;
}
function messageOf(b, textRequired) {
  let text = TEST_TEXT;
  if (textRequired || b.text !== void 0) {
    if (typeof b.text !== "string" || b.text.length === 0) throw badRequest("text is required and must be a non-empty string");
    if (b.text.length > MAX_TEXT_CHARS) throw badRequest(`text must be at most ${MAX_TEXT_CHARS} characters`);
    text = b.text;
  }
  const message = { text };
  const c = b.conversation_id;
  if (c !== void 0 && c !== null) {
    if (typeof c === "number" && Number.isSafeInteger(c)) message.conversation_id = String(c);
    else if (typeof c === "string" && c.length > 0 && c.length <= 256) message.conversation_id = c;
    else throw badRequest("conversation_id must be a string of 1\u2013256 characters or an integer");
  }
  return message;
}
function channelRoutes(manager, opts) {
  return [
    {
      method: "GET",
      path: "/channels",
      access: { anyOf: ["channel:send", "channel:receive"] },
      summary: "List channels (secrets redacted for integrations)",
      handler: (ctx) => json({ channels: manager.list().map((rt) => channelView(rt, ctx.principal)) })
    },
    {
      method: "POST",
      path: "/channels",
      access: "admin",
      summary: "Create a channel",
      async handler(ctx) {
        const b = objectBody(ctx);
        if (typeof b.kind !== "string" || b.kind.length === 0) throw badRequest("kind is required and must be a string");
        const rt = await manager.create({
          kind: b.kind,
          name: nameOf(b.name),
          config: b.config === void 0 ? {} : configOf(b.config),
          enabled: b.enabled === void 0 ? true : enabledOf(b.enabled)
        });
        return json(channelView(rt, ctx.principal), 201);
      }
    },
    {
      method: "GET",
      path: "/channels/{id}",
      access: "admin",
      summary: "Get a channel with its config and status",
      handler: (ctx) => json(channelView(manager.get(ctx.params.id), ctx.principal))
    },
    {
      method: "PATCH",
      path: "/channels/{id}",
      access: "admin",
      summary: "Rename, enable/disable or reconfigure a channel (config is merged; null removes a key)",
      async handler(ctx) {
        const b = objectBody(ctx);
        const patch = {};
        if (b.name !== void 0) patch.name = nameOf(b.name);
        if (b.enabled !== void 0) patch.enabled = enabledOf(b.enabled);
        if (b.config !== void 0) patch.config = configOf(b.config);
        return json(channelView(await manager.update(ctx.params.id, patch), ctx.principal));
      }
    },
    {
      method: "DELETE",
      path: "/channels/{id}",
      access: "admin",
      summary: "Stop and delete a channel",
      async handler(ctx) {
        await manager.remove(ctx.params.id);
        return noContent();
      }
    },
    {
      method: "POST",
      path: "/channels/{id}/test",
      access: "admin",
      summary: "Send a test message and report the outcome",
      async handler(ctx) {
        const message = messageOf(objectBody(ctx), false);
        try {
          const outcome = await manager.deliver(ctx.params.id, message, false);
          return json({ ok: true, ...outcome });
        } catch (err) {
          if (err instanceof GatewayError && err.code === "upstream_error") return json({ ok: false, error: err.message });
          throw err;
        }
      }
    },
    {
      method: "POST",
      path: "/channels/{id}/messages",
      access: "channel:send",
      summary: "Deliver a message through a channel (202 once delivered; 502 when delivery failed)",
      async handler(ctx) {
        const message = messageOf(objectBody(ctx), true);
        const outcome = await manager.deliver(ctx.params.id, message, true);
        return json({ status: "delivered", channel_id: ctx.params.id, ...outcome }, 202);
      }
    },
    {
      method: "POST",
      path: "/channels/{id}/webhook",
      // Authenticated by the channel's own secret, not a gateway credential (SPEC §7).
      access: "public",
      body: "stream",
      summary: "Inbound messages for a channel, proven by the channel's secret or signature",
      async handler(ctx) {
        const rt = manager.get(ctx.params.id);
        const receiver = rt.adapter?.webhook;
        if (!receiver) throw new GatewayError("not_found", "this channel has no webhook");
        const declared = Number(ctx.req.headers["content-length"] ?? NaN);
        if (Number.isFinite(declared) && declared > opts.bodyLimitBytes) {
          ctx.req.resume();
          throw new GatewayError("payload_too_large", `request body exceeds ${opts.bodyLimitBytes} bytes`);
        }
        const rawBody = await readLimited(ctx.req, opts.bodyLimitBytes);
        if (!receiver.authenticate({ headers: ctx.req.headers, rawBody, receivedAt: opts.now() })) throw unauthorized();
        let parsed;
        try {
          parsed = JSON.parse(rawBody.toString("utf8"));
        } catch {
          throw new GatewayError("invalid_json", "request body is not valid JSON");
        }
        let messages;
        try {
          messages = receiver.parse(parsed);
        } catch (err) {
          if (err instanceof TypeError) throw badRequest(err.message);
          throw err;
        }
        manager.receive(rt.record.id, messages);
        return json({ ok: true, received: messages.length });
      }
    }
  ];
}

// packages/core/src/channels/capability.ts
var BUILTIN_CHANNEL_ADAPTERS = {
  webhook: webhookAdapterFactory,
  telegram: telegramAdapterFactory
};
function createChannelsCapability(ctx) {
  const extra = ctx.options.channelAdapters ?? {};
  for (const [kind2, factory] of Object.entries(extra)) {
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(kind2)) throw new TypeError(`channelAdapters: kind "${kind2}" must match ^[a-z][a-z0-9_-]{0,31}$`);
    if (typeof factory?.create !== "function" || typeof factory.validateConfig !== "function" || !Array.isArray(factory.secretKeys)) {
      throw new TypeError(`channelAdapters.${kind2} must have secretKeys, validateConfig and create`);
    }
  }
  const manager = createChannelManager({
    store: ctx.stores.channels,
    bus: ctx.bus,
    clock: ctx.clock,
    logger: ctx.logger,
    factories: { ...BUILTIN_CHANNEL_ADAPTERS, ...extra }
  });
  return {
    manager,
    routes: channelRoutes(manager, { bodyLimitBytes: ctx.options.bodyLimitBytes, now: () => ctx.clock.now() }),
    start: () => manager.start(),
    stop: () => manager.stop()
  };
}

// packages/core/src/defaults.ts
import { homedir } from "node:os";
import { createRequire } from "node:module";

// packages/core/src/stores/keyv/admin-token-store.ts
function createKeyvAdminTokenStore(keyv, now) {
  const key = (digest2) => `admin-token:${digest2}`;
  return {
    async put(record) {
      const ttl = Math.max(1, Date.parse(record.expires_at) - now());
      await keyv.set(key(record.digest), record, ttl);
    },
    async get(digest2) {
      return await keyv.get(key(digest2));
    },
    async delete(digest2) {
      await keyv.delete(key(digest2));
    }
  };
}

// packages/core/src/stores/keyv/call-log-store.ts
var SEGMENT_ROWS = 1e3;
var META_KEY = "calls:meta";
function createKeyvCallLogStore(keyv) {
  let meta = { first: 0, rows: 0 };
  let rows = [];
  let firstRow = 0;
  const byIntegration = /* @__PURE__ */ new Map();
  let loaded = null;
  const keep = (e, row) => {
    rows.push(e);
    if (!e.integration_id) return;
    const list2 = byIntegration.get(e.integration_id);
    if (list2) list2.push(row);
    else byIntegration.set(e.integration_id, [row]);
  };
  const segKey = (n) => `calls:seg:${n}`;
  const load = () => loaded ??= (async () => {
    meta = await keyv.get(META_KEY) ?? meta;
    firstRow = Math.max(meta.first * SEGMENT_ROWS, meta.live ?? 0);
    const last = Math.floor((meta.rows - 1) / SEGMENT_ROWS);
    for (let n = meta.first; meta.rows > 0 && n <= last; n++) {
      const stored = await keyv.get(segKey(n)) ?? [];
      stored.forEach((e, i) => {
        if (e && n * SEGMENT_ROWS + i >= firstRow) keep(e, n * SEGMENT_ROWS + i);
      });
    }
  })();
  const segmentOf = (n) => {
    const start = n * SEGMENT_ROWS - firstRow;
    const live = rows.slice(Math.max(0, start), start + SEGMENT_ROWS);
    return start >= 0 ? live : [...new Array(-start).fill(null), ...live];
  };
  const writeSegments = async (from, to) => {
    for (let n = from; n <= to; n++) await keyv.set(segKey(n), segmentOf(n));
    await keyv.set(META_KEY, meta);
  };
  return {
    async append(entries) {
      if (!entries.length) return;
      await load();
      const fromSeg = Math.floor(meta.rows / SEGMENT_ROWS);
      for (const e of entries) keep(e, firstRow + rows.length);
      meta.rows += entries.length;
      await writeSegments(fromSeg, Math.floor((meta.rows - 1) / SEGMENT_ROWS));
    },
    async query(q) {
      await load();
      const limit = q.limit ?? 100;
      let start = firstRow + rows.length - 1;
      if (q.cursor !== void 0) start = Math.min(start, decodeCursor(q.cursor));
      const since2 = q.since ? isoOf("since", q.since) : "";
      const until = q.until ? isoOf("until", q.until) : "\uFFFF";
      const matches = (e) => e.ts >= since2 && e.ts <= until && (!q.direction || e.direction === q.direction) && (!q.status_class || Math.floor(e.status_code / 100) === q.status_class);
      const entries = [];
      if (q.integration_id !== void 0) {
        const list2 = byIntegration.get(q.integration_id) ?? [];
        let i = lastAtMost(list2, start);
        for (; i >= 0 && list2[i] >= firstRow && entries.length < limit; i--) {
          const e = rows[list2[i] - firstRow];
          if (matches(e)) entries.push(e);
        }
        const more2 = entries.length === limit && i >= 0 && list2[i] >= firstRow;
        return { entries, next_cursor: more2 ? encodeCursor(list2[i]) : null };
      }
      let n = start;
      for (; n >= firstRow && entries.length < limit; n--) {
        const e = rows[n - firstRow];
        if (matches(e)) entries.push(e);
      }
      const more = entries.length === limit && n >= firstRow;
      return { entries, next_cursor: more ? encodeCursor(n) : null };
    },
    async prune({ maxRows, olderThan }) {
      await load();
      let drop = Math.max(0, rows.length - maxRows);
      const cutoff = new Date(olderThan).toISOString();
      while (drop < rows.length && rows[drop].ts < cutoff) drop++;
      if (drop === 0) return 0;
      rows = rows.slice(drop);
      firstRow += drop;
      meta.live = firstRow;
      for (const [id2, list2] of byIntegration) {
        let k = 0;
        while (k < list2.length && list2[k] < firstRow) k++;
        if (k === list2.length) byIntegration.delete(id2);
        else if (k > 0) list2.splice(0, k);
      }
      const segments = Math.floor(firstRow / SEGMENT_ROWS) - meta.first;
      for (let n = meta.first; n < meta.first + segments; n++) await keyv.delete(segKey(n));
      meta.first += segments;
      if (firstRow % SEGMENT_ROWS !== 0 && meta.first * SEGMENT_ROWS < meta.rows) await keyv.set(segKey(meta.first), segmentOf(meta.first));
      await keyv.set(META_KEY, meta);
      return drop;
    }
  };
}
function lastAtMost(list2, max) {
  let lo = 0;
  let hi = list2.length - 1;
  while (lo <= hi) {
    const mid = lo + hi >> 1;
    if (list2[mid] <= max) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi;
}
function encodeCursor(row) {
  return Buffer.from(`r${row}`).toString("base64url");
}
function decodeCursor(cursor) {
  const m = /^r(\d{1,15})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!m) throw badRequest("cursor: not a cursor from a previous page");
  return Number(m[1]);
}
function isoOf(field2, time) {
  const ms = Date.parse(time);
  if (!Number.isFinite(ms)) throw badRequest(`${field2}: must be an RFC 3339 timestamp`);
  return new Date(ms).toISOString();
}

// packages/core/src/stores/keyv/collection.ts
var KeyvCollection = class {
  constructor(keyv, name) {
    this.keyv = keyv;
    this.name = name;
  }
  keyv;
  name;
  items = /* @__PURE__ */ new Map();
  writes = Promise.resolve();
  loaded = null;
  ready = false;
  /** Loads the index and every record; safe to call many times. */
  load() {
    this.loaded ??= (async () => {
      const ids = await this.keyv.get(this.indexKey) ?? [];
      const records = ids.length ? await this.keyv.getMany(ids.map((id2) => this.key(id2))) : [];
      for (const r2 of records) if (r2) this.items.set(r2.id, r2);
      this.ready = true;
    })();
    return this.loaded;
  }
  async all() {
    await this.load();
    return [...this.items.values()];
  }
  async get(id2) {
    await this.load();
    return this.items.get(id2);
  }
  /**
   * Memory first (so a concurrent reader sees it at once), then the store. Once loaded,
   * the memory write happens before `put` first yields, so check-then-put is atomic.
   */
  async put(record) {
    if (!this.ready) await this.load();
    const isNew = !this.items.has(record.id);
    this.items.set(record.id, record);
    await this.serial(async () => {
      await this.keyv.set(this.key(record.id), record);
      if (isNew) await this.keyv.set(this.indexKey, [...this.items.keys()]);
    });
  }
  async delete(id2) {
    await this.load();
    if (!this.items.delete(id2)) return false;
    await this.serial(async () => {
      await this.keyv.delete(this.key(id2));
      await this.keyv.set(this.indexKey, [...this.items.keys()]);
    });
    return true;
  }
  /** Synchronous view for checks that must not interleave with other writers. */
  snapshot() {
    return this.items.values();
  }
  get indexKey() {
    return `${this.name}:index`;
  }
  key(id2) {
    return `${this.name}:${id2}`;
  }
  serial(fn) {
    const next = this.writes.then(fn, fn);
    this.writes = next.catch(() => void 0);
    return next;
  }
};

// packages/core/src/stores/keyv/channel-store.ts
function createKeyvChannelStore(keyv) {
  const items = new KeyvCollection(keyv, "channel");
  return {
    list: () => items.all(),
    get: (id2) => items.get(id2),
    put: (record) => items.put(record),
    delete: (id2) => items.delete(id2)
  };
}

// packages/core/src/stores/keyv/integration-store.ts
function createKeyvIntegrationStore(keyv) {
  const items = new KeyvCollection(keyv, "integration");
  const byId = /* @__PURE__ */ new Map();
  const byLookup = /* @__PURE__ */ new Map();
  const byName = /* @__PURE__ */ new Map();
  const byPrefix = /* @__PURE__ */ new Map();
  let indexed = null;
  const nameKey = (name) => name.toLowerCase();
  const ready = () => indexed ??= (async () => {
    await items.load();
    for (const r2 of items.snapshot()) {
      byId.set(r2.id, r2);
      addKeys(r2);
    }
  })();
  const addKeys = (r2) => {
    byName.set(nameKey(r2.name), r2.id);
    if (r2.route_prefix) byPrefix.set(r2.route_prefix, r2.id);
    byLookup.set(r2.key.lookup_id, r2.id);
    if (r2.previous_key) byLookup.set(r2.previous_key.lookup_id, r2.id);
  };
  const dropKeys = (r2) => {
    const drop = (map, key) => {
      if (key !== void 0 && map.get(key) === r2.id) map.delete(key);
    };
    drop(byName, nameKey(r2.name));
    drop(byPrefix, r2.route_prefix || void 0);
    drop(byLookup, r2.key.lookup_id);
    drop(byLookup, r2.previous_key?.lookup_id);
  };
  const assertUnique = (r2) => {
    const named = byName.get(nameKey(r2.name));
    if (named !== void 0 && named !== r2.id) throw conflict(`an integration named "${r2.name}" already exists`);
    const prefixed = r2.route_prefix ? byPrefix.get(r2.route_prefix) : void 0;
    if (prefixed !== void 0 && prefixed !== r2.id) throw conflict(`route_prefix "${r2.route_prefix}" is already taken`);
  };
  return {
    async list() {
      await ready();
      return [...byId.values()];
    },
    async get(id2) {
      await ready();
      return byId.get(id2);
    },
    async findByLookupId(lookupId) {
      await ready();
      const id2 = byLookup.get(lookupId);
      return id2 === void 0 ? void 0 : byId.get(id2);
    },
    async findByPrefix(prefix) {
      await ready();
      const id2 = byPrefix.get(prefix);
      return id2 === void 0 ? void 0 : byId.get(id2);
    },
    async create(record) {
      await ready();
      if (byId.has(record.id)) throw conflict(`integration ${record.id} already exists`);
      assertUnique(record);
      byId.set(record.id, record);
      addKeys(record);
      await items.put(record);
    },
    async update(id2, fn) {
      await ready();
      const current = byId.get(id2);
      if (!current) return void 0;
      const next = { ...fn(current), id: id2 };
      assertUnique(next);
      dropKeys(current);
      byId.set(id2, next);
      addKeys(next);
      await items.put(next);
      return next;
    },
    async delete(id2) {
      await ready();
      const current = byId.get(id2);
      if (!current) return false;
      byId.delete(id2);
      dropKeys(current);
      await items.delete(id2);
      return true;
    }
  };
}

// packages/core/src/stores/keyv/provider-config-store.ts
function createKeyvProviderConfigStore(keyv) {
  const key = (id2) => `provider-config:${id2}`;
  return {
    async get(id2) {
      const value = await keyv.get(key(id2));
      if (typeof value !== "object" || value === null || Array.isArray(value)) return void 0;
      return { ...value };
    },
    async set(id2, config) {
      await keyv.set(key(id2), { ...config });
    }
  };
}

// packages/core/src/stores/keyv/session-store.ts
function createKeyvSessionStore(keyv) {
  const items = new KeyvCollection(keyv, "session");
  const tailKey = (id2) => `session-tail:${id2}`;
  return {
    list: () => items.all(),
    get: (id2) => items.get(id2),
    put: (record) => items.put(record),
    async delete(id2) {
      await keyv.delete(tailKey(id2));
      return items.delete(id2);
    },
    async saveTail(id2, tail) {
      await keyv.set(tailKey(id2), { start: tail.start, data: tail.bytes.toString("base64") });
    },
    async loadTail(id2) {
      const stored = await keyv.get(tailKey(id2));
      return stored ? { start: stored.start, bytes: Buffer.from(stored.data, "base64") } : void 0;
    }
  };
}

// packages/core/src/defaults.ts
var pkg = createRequire(import.meta.url)("../package.json");
var CORE_VERSION = pkg.version;
function positiveInt(name, value, fallback, min = 1) {
  if (value === void 0) return fallback;
  if (!Number.isInteger(value) || value < min) throw new TypeError(`${name} must be an integer >= ${min} (got ${value})`);
  return value;
}
function resolveOptions(options) {
  const port = options.port ?? 8770;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`port must be 0\u201365535 (got ${port})`);
  const bcryptCost = positiveInt("bcryptCost", options.bcryptCost, 12, 4);
  if (bcryptCost > 31) throw new TypeError("bcryptCost must be at most 31");
  return {
    ...options,
    host: options.host ?? "127.0.0.1",
    port,
    bodyLimitBytes: positiveInt("bodyLimitBytes", options.bodyLimitBytes, 1048576),
    bcryptCost,
    version: options.version ?? CORE_VERSION,
    workspaceRoot: options.workspaceRoot ?? homedir(),
    idleThresholdMs: positiveInt("idleThresholdMs", options.idleThresholdMs, 3e4),
    bufferBytes: positiveInt("bufferBytes", options.bufferBytes, 1048576, 1024),
    stopGraceMs: positiveInt("stopGraceMs", options.stopGraceMs, 3e3, 0),
    eventLogSize: positiveInt("eventLogSize", options.eventLogSize, 1e4),
    healthIntervalMs: positiveInt("healthIntervalMs", options.healthIntervalMs, 3e4),
    healthTimeoutMs: positiveInt("healthTimeoutMs", options.healthTimeoutMs, 5e3),
    proxyTimeoutMs: positiveInt("proxyTimeoutMs", options.proxyTimeoutMs, 6e4),
    clock: options.clock ?? systemClock
  };
}
function createStores(keyv, overrides = {}, now = Date.now) {
  return {
    adminTokens: overrides.adminTokens ?? createKeyvAdminTokenStore(keyv, now),
    integrations: overrides.integrations ?? createKeyvIntegrationStore(keyv),
    sessions: overrides.sessions ?? createKeyvSessionStore(keyv),
    callLog: overrides.callLog ?? createKeyvCallLogStore(keyv),
    providerConfig: overrides.providerConfig ?? createKeyvProviderConfigStore(keyv),
    channels: overrides.channels ?? createKeyvChannelStore(keyv)
  };
}

// packages/core/src/proxy/signature.ts
import { createHmac as createHmac2 } from "node:crypto";
function canonicalString(parts) {
  return `v1:${parts.timestamp}:${parts.method.toUpperCase()}:${parts.target}:${parts.integrationId}`;
}
function signatureHeader(secret, parts) {
  return `v1=${createHmac2("sha256", secret).update(canonicalString(parts)).digest("hex")}`;
}

// packages/core/src/health/limiter.ts
function createLimiter(max) {
  let active = 0;
  const waiting = [];
  return {
    async run(task) {
      if (active >= max) await new Promise((resolve3) => waiting.push(resolve3));
      else active++;
      try {
        return await task();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else active--;
      }
    }
  };
}

// packages/core/src/health/probe.ts
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
var HEALTHY = /* @__PURE__ */ new Set(["healthy", "ok", "up", "pass"]);
var UNHEALTHY = /* @__PURE__ */ new Set(["unhealthy", "down", "fail", "error"]);
function probeHealth(probe) {
  return new Promise((resolve3) => {
    let settled = false;
    const finish = (outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      probe.signal.removeEventListener("abort", onAbort);
      req.destroy();
      resolve3(outcome);
    };
    const onAbort = () => finish({ kind: "failure", reason: "probe aborted" });
    const send = probe.url.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(probe.url, { method: "GET", headers: probe.headers, agent: false });
    const timer = setTimeout(() => finish({ kind: "failure", reason: `no answer within ${probe.timeoutMs} ms` }), probe.timeoutMs);
    probe.signal.addEventListener("abort", onAbort, { once: true });
    req.on("error", (err) => finish({ kind: "failure", reason: describe(err) }));
    req.on(
      "response",
      (res) => readCapped2(
        res,
        probe.maxBodyBytes,
        (body) => finish(typeof body === "string" ? { kind: "failure", reason: body } : classify(res.statusCode ?? 0, body))
      )
    );
    req.end();
    if (probe.signal.aborted) onAbort();
  });
}
function readCapped2(res, max, done) {
  const chunks = [];
  let size2 = 0;
  res.on("data", (chunk) => {
    size2 += chunk.length;
    if (size2 > max) return done(`health body exceeds ${max} bytes`);
    chunks.push(chunk);
  });
  res.on("end", () => done(Buffer.concat(chunks)));
  res.on("close", () => {
    if (!res.complete) done("connection lost mid-body");
  });
  res.on("error", () => void 0);
}
function classify(status, body) {
  const payload = jsonObject(body);
  if (status < 200 || status >= 300) return { kind: "failure", reason: `HTTP ${status}`, ...payload ? { payload } : {} };
  const reported = typeof payload?.status === "string" ? payload.status.toLowerCase() : void 0;
  if (!reported || HEALTHY.has(reported)) return { kind: "healthy", ...payload ? { payload } : {} };
  if (UNHEALTHY.has(reported)) return { kind: "failure", reason: `reported ${reported}`, ...payload ? { payload } : {} };
  return { kind: "degraded", ...payload ? { payload } : {} };
}
function jsonObject(body) {
  if (body.length === 0) return void 0;
  try {
    const parsed = JSON.parse(body.toString("utf8"));
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : void 0;
  } catch {
    return void 0;
  }
}
function describe(err) {
  switch (err.code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ECONNRESET":
      return "connection reset";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    default:
      if (err.code?.startsWith("HPE_")) return "not an HTTP answer";
      return err.code ? `connection error (${err.code})` : "connection error";
  }
}

// packages/core/src/health/transition.ts
function nextHealth(current, failures, outcome) {
  if (outcome.kind !== "failure") return { status: outcome.kind, failures: 0 };
  const count2 = failures + 1;
  return { status: count2 >= 2 || current === "unhealthy" ? "unhealthy" : "degraded", failures: count2 };
}

// packages/core/src/health/capability.ts
var MAX_CONCURRENT_PROBES = 16;
var MAX_HEALTH_BODY_BYTES = 64 * 1024;
var probed = (r2) => r2.enabled && r2.base_url !== "";
function createHealthCapability(ctx) {
  const trackers = /* @__PURE__ */ new Map();
  const running = /* @__PURE__ */ new Set();
  const limiter = createLimiter(MAX_CONCURRENT_PROBES);
  const intervalMs = ctx.options.healthIntervalMs;
  let sweepTimer;
  let unsubscribe;
  let stopped = false;
  const trackerOf = (id2) => {
    let t = trackers.get(id2);
    if (!t) trackers.set(id2, t = { failures: 0, queued: false, again: false });
    return t;
  };
  const schedule = (id2, delayMs) => {
    const t = trackerOf(id2);
    if (stopped || t.timer || t.queued || t.inflight) return;
    t.timer = setTimeout(() => {
      t.timer = void 0;
      const done = probeOnce(id2, t);
      running.add(done);
      void done.finally(() => running.delete(done));
    }, delayMs);
    t.timer.unref();
  };
  const restart = (id2) => {
    const t = trackerOf(id2);
    clearTimeout(t.timer);
    t.timer = void 0;
    if (t.inflight) {
      t.again = true;
      t.inflight.abort();
    }
    schedule(id2, 0);
  };
  const forget = (id2) => {
    const t = trackers.get(id2);
    if (!t) return;
    clearTimeout(t.timer);
    t.inflight?.abort();
    trackers.delete(id2);
  };
  const probeOnce = async (id2, t) => {
    t.queued = true;
    try {
      await limiter.run(async () => {
        t.queued = false;
        const record = stopped ? void 0 : await ctx.stores.integrations.get(id2);
        if (!record || !probed(record)) return;
        const controller = new AbortController();
        t.inflight = controller;
        const outcome = await probeHealth({
          url: healthUrl(record.base_url),
          headers: probeHeaders(record, ctx.clock.now()),
          timeoutMs: ctx.options.healthTimeoutMs,
          signal: controller.signal,
          maxBodyBytes: MAX_HEALTH_BODY_BYTES
        });
        t.inflight = void 0;
        if (!controller.signal.aborted && !stopped) await apply(record.base_url, id2, t, outcome);
      });
    } catch (err) {
      ctx.logger.error("health probe could not be recorded", { integration_id: id2, error: err });
    } finally {
      t.queued = false;
      t.inflight = void 0;
    }
    if (t.again && !stopped && trackers.get(id2) === t) {
      t.again = false;
      schedule(id2, 0);
    }
  };
  const apply = async (probedUrl, id2, t, outcome) => {
    let from = "unknown";
    let to = "unknown";
    let payload;
    const updated = await ctx.stores.integrations.update(id2, (current) => {
      if (current.base_url !== probedUrl || !current.enabled) return current;
      const step = nextHealth(current.health_status, t.failures, outcome);
      from = current.health_status;
      to = step.status;
      t.failures = step.failures;
      payload = outcome.payload ?? (outcome.kind === "failure" ? { error: outcome.reason } : void 0);
      const { health_payload: _dropped, ...rest } = current;
      return {
        ...rest,
        health_status: step.status,
        ...payload ? { health_payload: payload } : {},
        ...outcome.kind === "failure" ? {} : { health_last_seen: isoTime(ctx.clock.now()) }
      };
    });
    if (!updated) return forget(id2);
    if (from !== to) {
      ctx.logger.info("integration health changed", { integration_id: id2, from, to });
      ctx.bus.publish("integration.health_change", { integration_id: id2, from, to, payload: payload ?? null }, { tenant: id2 });
    }
  };
  const sweep = async (jitterMs) => {
    let records;
    try {
      records = await ctx.stores.integrations.list();
    } catch (err) {
      ctx.logger.error("health sweep could not list integrations", { error: err });
      return;
    }
    const ids = new Set(records.map((r2) => r2.id));
    for (const id2 of trackers.keys()) if (!ids.has(id2)) forget(id2);
    for (const r2 of records) if (probed(r2)) schedule(r2.id, Math.random() * jitterMs);
  };
  return {
    async start() {
      unsubscribe = ctx.bus.subscribe(["integration.registered", "integration.updated", "integration.deregistered"], (event) => {
        const id2 = typeof event.data.integration_id === "string" ? event.data.integration_id : void 0;
        if (!id2) return;
        if (event.topic === "integration.deregistered") return forget(id2);
        if (event.topic === "integration.registered") return schedule(id2, 0);
        const changed = Array.isArray(event.data.changed) ? event.data.changed : [];
        if (changed.includes("base_url")) trackerOf(id2).failures = 0;
        if (changed.includes("base_url") || changed.includes("enabled")) restart(id2);
      });
      void sweep(0);
      sweepTimer = setInterval(() => void sweep(Math.min(intervalMs / 10, 1e3)), intervalMs);
      sweepTimer.unref();
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      clearInterval(sweepTimer);
      for (const id2 of [...trackers.keys()]) forget(id2);
      await Promise.allSettled([...running]);
    }
  };
}
function healthUrl(baseUrl) {
  const url2 = new URL(baseUrl);
  url2.pathname = `${url2.pathname.replace(/\/+$/, "")}/health`;
  url2.search = "";
  url2.hash = "";
  return url2;
}
function probeHeaders(record, nowMs) {
  const url2 = healthUrl(record.base_url);
  const timestamp = Math.floor(nowMs / 1e3);
  const headers = {
    accept: "application/json",
    "user-agent": "opendray-health/1",
    "x-integration-id": record.id,
    "x-opendray-api": "v1"
  };
  if (record.signing_secret) {
    headers["x-opendray-timestamp"] = String(timestamp);
    headers["x-opendray-signature"] = signatureHeader(record.signing_secret, {
      timestamp,
      method: "GET",
      target: url2.pathname,
      integrationId: record.id
    });
  }
  return headers;
}

// packages/core/src/auth/scopes.ts
import { FIXED_SCOPES } from "@opendray/sdk/wire";
function scopeGrants(granted, wanted) {
  if (granted === wanted) return true;
  if (granted.endsWith(".*") || granted.endsWith(":*")) return wanted.startsWith(granted.slice(0, -1));
  return false;
}
function hasScope(granted, wanted) {
  return granted.some((g2) => scopeGrants(g2, wanted));
}
function principalHasScope(principal, wanted) {
  return principal.kind === "admin" || hasScope(principal.scopes, wanted);
}
var EVENT_PREFIX = "event:subscribe:";
var TOPIC_PATTERN = /^(\*|[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*(\.\*)?)$/;
function isTopicPattern(s2) {
  return s2.length <= 128 && TOPIC_PATTERN.test(s2);
}
function isKnownScope(s2) {
  if (FIXED_SCOPES.includes(s2)) return true;
  if (s2.startsWith(EVENT_PREFIX)) return isTopicPattern(s2.slice(EVENT_PREFIX.length));
  return false;
}
var eventScope = (topic) => `${EVENT_PREFIX}${topic}`;

// packages/core/src/http/request-meta.ts
var SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
function requestIdOf(req) {
  const given = req.headers["x-request-id"];
  if (typeof given === "string" && SANE_REQUEST_ID.test(given)) return given;
  return newId("req");
}
function remoteAddressOf(req) {
  return req.socket.remoteAddress ?? "unknown";
}
function bearerTokenOf(req, query) {
  const header2 = req.headers.authorization;
  if (typeof header2 === "string") {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header2);
    return m ? m[1] : "";
  }
  const fromQuery = query?.get("token");
  return fromQuery === void 0 || fromQuery === null ? null : fromQuery;
}
function splitUrl(rawUrl, base) {
  const url2 = rawUrl ?? "/";
  const q = url2.indexOf("?");
  const pathname = q === -1 ? url2 : url2.slice(0, q);
  if (pathname !== base && !pathname.startsWith(`${base}/`)) return null;
  const path = pathname.slice(base.length) || "/";
  return { path, query: new URLSearchParams(q === -1 ? "" : url2.slice(q + 1)) };
}

// packages/core/src/http/respond.ts
var JSON_TYPE = "application/json; charset=utf-8";
function writeReply(res, reply2, headOnly) {
  if (reply2.kind === "handled" || res.headersSent) return 0;
  for (const [k, v] of Object.entries(reply2.headers ?? {})) res.setHeader(k, v);
  if (reply2.kind === "empty") {
    res.writeHead(reply2.status).end();
    return 0;
  }
  const body = reply2.kind === "json" ? Buffer.from(JSON.stringify(reply2.body)) : Buffer.isBuffer(reply2.body) ? reply2.body : Buffer.from(reply2.body);
  if (reply2.kind === "json") res.setHeader("Content-Type", JSON_TYPE);
  res.setHeader("Content-Length", body.length);
  res.writeHead(reply2.status);
  res.end(headOnly ? void 0 : body);
  return body.length;
}
function writeError(res, err, requestId) {
  if (res.headersSent) {
    res.destroy();
    return 0;
  }
  const body = { error: err.message, code: err.code, request_id: requestId };
  return writeReply(res, { kind: "json", status: err.status, body, headers: { ...err.headers } }, false);
}

// packages/core/src/http/pipeline.ts
function createPipeline(deps) {
  return async function handle(req, res) {
    const startedAt = deps.now();
    const requestId = requestIdOf(req);
    res.setHeader("X-Request-Id", requestId);
    const remoteAddr = remoteAddressOf(req);
    let principal = null;
    let rejectedCredential = false;
    let route = null;
    let bytesOut = 0;
    const split = splitUrl(req.url, deps.basePath);
    try {
      for (const hook of deps.hooks.onRequest) hook(req);
      if (!split) throw notFound("route");
      const lookup = deps.router.lookup(req.method ?? "GET", split.path);
      if (!lookup) throw notFound("route");
      if ("allowed" in lookup) {
        throw new GatewayError("method_not_allowed", `method ${req.method} not allowed`, {
          headers: { Allow: lookup.allowed.join(", ") }
        });
      }
      route = lookup.found.route;
      if (route.access !== "public") {
        const token2 = bearerTokenOf(req, null);
        try {
          principal = await deps.authenticator.authenticate(token2, remoteAddr);
        } catch (err) {
          rejectedCredential = token2 !== null && token2 !== "";
          throw err;
        }
        checkAccess(route.access, principal);
      }
      const bodyMode = route.body ?? (route.method === "GET" || route.method === "DELETE" ? "none" : "json");
      const body = bodyMode === "json" ? await readJsonBody(req, deps.bodyLimitBytes) : void 0;
      const ctx = {
        req,
        res,
        requestId,
        principal,
        params: lookup.found.params,
        query: split.query,
        body,
        remoteAddr,
        route
      };
      for (const hook of deps.hooks.preHandler) await hook(ctx);
      const reply2 = await route.handler(ctx);
      bytesOut = writeReply(res, reply2, req.method === "HEAD");
    } catch (thrown) {
      const err = toGatewayError(thrown);
      if (err.status >= 500 && err.code === "internal_error") {
        deps.logger.error("request failed", { requestId, route: route?.path, error: err.cause ?? err });
      }
      for (const hook of deps.hooks.onError) hook(err, req);
      bytesOut = writeError(res, err, requestId);
    } finally {
      const info = {
        requestId,
        method: req.method ?? "GET",
        route: route?.path ?? split?.path ?? "",
        path: split?.path ?? "",
        status: res.statusCode,
        durationMs: deps.now() - startedAt,
        bytesIn: Number(req.headers["content-length"] ?? 0) || 0,
        bytesOut,
        principal,
        rejectedCredential,
        remoteAddr,
        startedAt
      };
      if (res.writableFinished || res.destroyed) report(deps, info);
      else res.once("close", () => report(deps, { ...info, status: res.statusCode, durationMs: deps.now() - startedAt }));
    }
  };
}
function report(deps, info) {
  for (const hook of deps.hooks.onResponse) {
    try {
      hook(info);
    } catch (err) {
      deps.logger.warn("onResponse hook failed", { error: err });
    }
  }
}
function checkAccess(access2, principal) {
  if (access2 === "public") return;
  if (!principal) throw unauthorized();
  if (access2 === "authenticated" || principal.kind === "admin") return;
  if (access2 === "admin") throw forbidden("admin only");
  const anyOf = typeof access2 === "string" ? [access2] : access2.anyOf;
  if (!anyOf.some((scope) => principalHasScope(principal, scope))) throw missingScope(anyOf.join(" or "));
}

// packages/core/src/http/router.ts
var PARAM = /^\{([a-z_][a-z0-9_]*)\}$/;
var LITERAL = /^[A-Za-z0-9._-]+$/;
function compile(route) {
  if (!route.path.startsWith("/")) throw new TypeError(`route ${route.method} ${route.path}: path must start with /`);
  const segments = route.path.split("/").slice(1);
  const rest = segments.at(-1) === "*";
  if (rest) segments.pop();
  const names = /* @__PURE__ */ new Set();
  for (const seg of segments) {
    const param = PARAM.exec(seg);
    if (param) {
      if (names.has(param[1])) throw new TypeError(`route ${route.path}: duplicate parameter ${seg}`);
      names.add(param[1]);
    } else if (!LITERAL.test(seg)) {
      throw new TypeError(`route ${route.path}: malformed segment "${seg}"`);
    }
  }
  return { route, segments, rest };
}
var Router = class {
  compiled = [];
  constructor(routes) {
    const seen = /* @__PURE__ */ new Set();
    for (const route of routes) {
      if (route.access === void 0 || route.access === null) {
        throw new TypeError(`route ${route.method} ${route.path} declares no access scope`);
      }
      const key = `${route.method} ${route.path.replace(/\{[^}]+\}/g, "{}")}`;
      if (seen.has(key)) throw new TypeError(`duplicate route ${route.method} ${route.path}`);
      seen.add(key);
      this.compiled.push(compile(route));
    }
    const literalCount = (c) => c.segments.filter((s2) => !PARAM.test(s2)).length;
    this.compiled.sort(
      (a, b) => Number(a.rest) - Number(b.rest) || literalCount(b) - literalCount(a) || b.segments.length - a.segments.length
    );
  }
  /** Every row, for the OpenAPI document and the scope audit test. */
  get routes() {
    return this.compiled.map((c) => c.route);
  }
  /** `path` is relative to `/api/v1` and not yet percent-decoded. */
  lookup(method, path) {
    const parts = path.split("/").slice(1);
    const allowed = /* @__PURE__ */ new Set();
    for (const c of this.compiled) {
      const params = matchSegments(c, parts);
      if (!params) continue;
      if (c.route.method === method || method === "HEAD" && c.route.method === "GET") {
        return { found: { route: c.route, params } };
      }
      allowed.add(c.route.method);
    }
    return allowed.size ? { allowed: [...allowed] } : null;
  }
};
function matchSegments(c, parts) {
  if (c.rest ? parts.length < c.segments.length : parts.length !== c.segments.length) return null;
  const params = {};
  for (let i = 0; i < c.segments.length; i++) {
    const seg = c.segments[i];
    const part = parts[i];
    const param = PARAM.exec(seg);
    if (param) {
      const value = safeDecode(part);
      if (value === null || value === "") return null;
      params[param[1]] = value;
    } else if (seg !== part) {
      return null;
    }
  }
  if (c.rest) params["*"] = parts.slice(c.segments.length).join("/");
  return params;
}
function safeDecode(s2) {
  try {
    return decodeURIComponent(s2);
  } catch {
    return null;
  }
}

// packages/core/src/http/routes/auth.ts
function authRoutes(admin) {
  return [
    {
      method: "POST",
      path: "/auth/login",
      access: "public",
      summary: "Exchange the admin username and password for a token",
      async handler({ body, remoteAddr }) {
        const { username, password } = body ?? {};
        if (typeof username !== "string" || username === "" || username.length > 256) {
          throw badRequest("username: required string (1\u2013256 characters)");
        }
        if (typeof password !== "string" || password === "" || password.length > 1024) {
          throw badRequest("password: required string (1\u20131024 characters)");
        }
        return json(await admin.login(username, password, remoteAddr));
      }
    },
    {
      method: "POST",
      path: "/auth/logout",
      access: "authenticated",
      summary: "Revoke the caller's admin token",
      async handler({ principal }) {
        if (principal?.kind === "admin") await admin.logout(principal);
        return noContent();
      }
    },
    {
      method: "GET",
      path: "/auth/me",
      access: "authenticated",
      summary: "Who the credential belongs to",
      handler({ principal }) {
        const me = principal.kind === "admin" ? { kind: "admin", id: principal.id, username: principal.username } : { kind: "integration", id: principal.id, name: principal.name, scopes: [...principal.scopes] };
        return json(me);
      }
    }
  ];
}

// packages/core/src/http/routes/health.ts
function healthRoutes(deps) {
  return [
    {
      method: "GET",
      path: "/health",
      access: "public",
      summary: "Liveness and store reachability",
      async handler() {
        const storeOk = await reachable(deps.keyv);
        const body = {
          status: storeOk ? "ok" : "degraded",
          version: deps.version,
          uptime_s: Math.floor((deps.now() - deps.startedAt) / 1e3)
        };
        return json(body, storeOk ? 200 : 503);
      }
    }
  ];
}
async function reachable(keyv) {
  let timer;
  const timeout = new Promise((resolve3) => {
    timer = setTimeout(() => resolve3(false), 2e3);
  });
  try {
    return await Promise.race([keyv.get("health:probe").then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

// packages/core/src/openapi/document.ts
import { STATUS_CODES } from "node:http";

// packages/core/src/openapi/schemas.ts
import { ERROR_CODES as ERROR_CODES2, FIXED_SCOPES as FIXED_SCOPES2, NAMED_KEYS, STREAM_SUBPROTOCOL_V2 } from "@opendray/sdk/wire";

// packages/core/src/openapi/schema-kit.ts
var ref = (name) => ({ $ref: `#/components/schemas/${name}` });
function object(required, properties, description) {
  return {
    type: "object",
    ...description ? { description } : {},
    ...required.length ? { required: [...required] } : {},
    properties
  };
}
var str = (description, extra = {}) => ({
  type: "string",
  ...description ? { description } : {},
  ...extra
});
var int = (description, extra = {}) => ({
  type: "integer",
  ...description ? { description } : {},
  ...extra
});
var bool = (description) => ({ type: "boolean", ...description ? { description } : {} });
var list = (items, description, extra = {}) => ({
  type: "array",
  ...description ? { description } : {},
  items,
  ...extra
});
var anyObject = (description) => ({ type: "object", ...description ? { description } : {} });
var id = (prefix, description) => str(description, { pattern: `^${prefix}_[A-Za-z0-9_-]{12}$` });

// packages/core/src/openapi/request-schemas.ts
var size = (field2) => int(`Terminal ${field2}`, { minimum: 1, maximum: 1e3 });
var platformId = (description) => ({ description, type: ["string", "integer"], maxLength: 256 });
var conversationId = platformId("Where to post; a numeric id (a Telegram chat) may be sent as an integer");
var REQUEST_SCHEMAS = {
  LoginRequest: object(["username", "password"], {
    username: str(void 0, { minLength: 1, maxLength: 256 }),
    password: str(void 0, { minLength: 1, maxLength: 1024 })
  }),
  RegisterIntegrationRequest: object(["name"], {
    name: str('Unique; ASCII letters, digits, space, ".", "_", "-"', { minLength: 1, maxLength: 64 }),
    base_url: str("http(s) URL with a host; set together with route_prefix, or neither"),
    route_prefix: str('Slug; names starting with "_" are reserved', { pattern: "^[a-z0-9][a-z0-9-]{0,62}$" }),
    scopes: list(ref("Scope"), 'Default ["session:read", "event:subscribe:session.*"]; unknown scopes are a 400'),
    version: str(),
    max_sessions: int("Default 10", { minimum: 0, maximum: 1e3 })
  }),
  UpdateIntegrationRequest: object([], {
    base_url: str(),
    route_prefix: str(void 0, { pattern: "^[a-z0-9][a-z0-9-]{0,62}$" }),
    scopes: list(ref("Scope")),
    version: str(),
    enabled: bool("false refuses its key and closes its sockets (4001)"),
    max_sessions: int(void 0, { minimum: 0, maximum: 1e3 })
  }, "Any subset; absent fields stay as they are"),
  RotateKeyRequest: object([], {
    grace_seconds: int("Keep the old key valid this long (beyond); default 0", { minimum: 0, maximum: 604800 })
  }),
  CreateSessionRequest: object([], {
    provider_id: str('Default "shell"'),
    name: str(),
    cwd: str("An existing directory; default the workspace root"),
    args: list(str(), void 0, { maxItems: 64 }),
    env: { type: "object", additionalProperties: { type: "string" } },
    cols: { ...size("columns"), description: "Default 120" },
    rows: { ...size("rows"), description: "Default 40" },
    model: str()
  }, "SPEC \xA75.2"),
  InputRequest: {
    description: "Exactly one of data (raw bytes as a string), text (a message, submitted) or keys (SPEC \xA75.6)",
    oneOf: [
      object(["data"], { data: str("Written as is") }),
      object(["text"], { text: str("Typed, then submitted with the provider's submit key") }),
      object(["keys"], { keys: list(ref("NamedKey"), void 0, { minItems: 1, maxItems: 256 }) })
    ]
  },
  ResizeRequest: object(["cols", "rows"], { cols: size("columns"), rows: size("rows") }),
  ProviderConfigPatch: anyObject("JSON merge patch of the config, validated against the manifest; null removes a field; enabled toggles the provider"),
  CreateChannelRequest: object(["kind", "name"], {
    kind: str("A registered adapter kind, e.g. webhook, telegram"),
    name: str(void 0, { minLength: 1, maxLength: 64 }),
    config: anyObject("Adapter config (docs/channels.md)"),
    enabled: bool("Default true")
  }),
  UpdateChannelRequest: object([], {
    name: str(void 0, { minLength: 1, maxLength: 64 }),
    enabled: bool(),
    config: anyObject("Merged into the stored config; null removes a key")
  }),
  ChannelTestRequest: object([], { text: str('Default "opendray test message"', { minLength: 1 }), conversation_id: conversationId }),
  SendChannelMessageRequest: object(["text"], { text: str(void 0, { minLength: 1, maxLength: 65536 }), conversation_id: conversationId }),
  WebhookInbound: object(["text"], {
    text: str(void 0, { minLength: 1 }),
    conversation_id: conversationId,
    author: platformId("Display name of the sender"),
    author_id: platformId("The platform's id of the sender"),
    message_id: platformId("The platform's id of the message")
  }, "Inbound message of a webhook channel, proven by its secret (bearer or X-OpenDray-Channel-Token) or signature")
};

// packages/core/src/openapi/schemas.ts
var ts = (description) => ({ ...ref("Timestamp"), description });
var count = (description) => int(description, { minimum: 0 });
var RESPONSE_SCHEMAS = {
  Timestamp: str("RFC 3339 UTC timestamp with milliseconds (SPEC \xA71)", {
    format: "date-time",
    pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$",
    examples: ["2026-04-27T14:01:00.123Z"]
  }),
  ErrorCode: { type: "string", enum: [...ERROR_CODES2], description: "Stable error code (docs/errors.md)" },
  ErrorBody: object(["error", "code"], {
    error: str("Human-readable message; names the field for validation errors"),
    code: ref("ErrorCode"),
    request_id: str("The X-Request-Id of the request")
  }, "The body of every error response (SPEC \xA71)"),
  Scope: {
    type: "string",
    description: "A fixed scope, or event:subscribe:<topic> (SPEC \xA73)",
    anyOf: [{ enum: [...FIXED_SCOPES2] }, { pattern: "^event:subscribe:.+$" }]
  },
  HealthStatus: { type: "string", enum: ["unknown", "healthy", "degraded", "unhealthy"] },
  Integration: object(["id", "name", "base_url", "route_prefix", "scopes", "enabled", "health_status", "created_at", "max_sessions"], {
    id: id("int", "Integration id"),
    name: str("Unique name, 1\u201364 characters", { minLength: 1, maxLength: 64 }),
    base_url: str('Upstream URL; "" for a consumer-only integration'),
    route_prefix: str('Proxy prefix; "" for a consumer-only integration', { pattern: "^(|[a-z0-9][a-z0-9-]{0,62})$" }),
    scopes: list(ref("Scope")),
    version: str(),
    enabled: bool(),
    health_status: ref("HealthStatus"),
    health_payload: anyObject("Body of the last health probe, e.g. {status, version, busy_ratio}"),
    health_last_seen: ts("Last successful health probe"),
    created_at: ts("Registration time"),
    rotated_at: ts("Last key rotation"),
    max_sessions: count("Most sessions it may have at once")
  }, "A registered integration; never a key or a hash (SPEC \xA74)"),
  IntegrationWithKey: object(["integration", "api_key"], {
    integration: ref("Integration"),
    api_key: str("The plaintext key; shown only in this answer (SPEC \xA72.2)", { pattern: "^odk_live_[A-Za-z0-9_-]{43}$" }),
    signing_secret: str("Proxy signing secret (SPEC \xA78); only when base_url is set")
  }),
  IntegrationList: object(["integrations"], { integrations: list(ref("Integration")) }),
  CallDirection: { type: "string", enum: ["inbound", "outbound", "rejected"] },
  CallEntry: object(
    ["id", "ts", "direction", "method", "route", "path", "status_code", "duration_ms", "bytes_in", "bytes_out", "request_id", "remote_addr"],
    {
      id: str(),
      ts: ts("When the call started"),
      integration_id: str(),
      direction: ref("CallDirection"),
      method: str(),
      route: str("Route template, e.g. /sessions/{id}/input"),
      path: str(),
      status_code: int(),
      duration_ms: { type: "number", minimum: 0 },
      bytes_in: count("Request body bytes"),
      bytes_out: count("Response body bytes"),
      request_id: str(),
      remote_addr: str()
    },
    "One audited call (SPEC \xA710)"
  ),
  CallPage: object(["entries", "next_cursor"], {
    entries: list(ref("CallEntry"), "Newest first"),
    next_cursor: { type: ["string", "null"], description: "Pass as ?cursor= for the next page; null on the last" }
  }),
  SessionState: { type: "string", enum: ["running", "idle", "stopped", "ended", "interrupted"] },
  Session: object(
    ["id", "name", "provider_id", "cwd", "args", "state", "cols", "rows", "origin", "created_at", "started_at", "bytes_out"],
    {
      id: id("ses", "Session id"),
      name: str(),
      provider_id: str(),
      cwd: str(),
      args: list(str()),
      state: ref("SessionState"),
      pid: int(),
      cols: int(void 0, { minimum: 1, maximum: 1e3 }),
      rows: int(void 0, { minimum: 1, maximum: 1e3 }),
      origin: { type: "string", enum: ["operator", "integration"] },
      integration_id: str("The integration that created it"),
      created_at: ts("Creation time"),
      started_at: ts("Last (re)start"),
      ended_at: ts("When it stopped or ended"),
      exit_code: { type: ["integer", "null"] },
      signal: { type: ["string", "null"] },
      idle_since: ts("Start of the current idle period"),
      bytes_out: count("Total output bytes = the buffer cursor (SPEC \xA75.4)")
    },
    "A PTY session (SPEC \xA75.2)"
  ),
  SessionList: object(["sessions"], { sessions: list(ref("Session")) }),
  HistoryEntry: object(["ts", "text", "session_id"], { ts: ts("When it was submitted"), text: str(), session_id: str() }),
  HistoryList: object(["entries"], { entries: list(ref("HistoryEntry"), "Oldest first") }),
  Screen: object(["cols", "rows", "cursor", "alt_screen", "title", "lines"], {
    cols: int(),
    rows: int(),
    cursor: object(["x", "y"], { x: count("Column, 0-based"), y: count("Row, 0-based") }),
    alt_screen: bool("The alternate screen is active"),
    title: str(),
    lines: list(str(), "One string per row, trailing spaces trimmed")
  }, "The rendered terminal (SPEC \xA74, beyond)"),
  ProviderRuntime: object(["installed"], { installed: bool(), version: str(), path: str() }),
  Provider: object(["id", "display_name", "kind", "enabled", "config", "runtime"], {
    id: str(),
    display_name: str(),
    kind: { type: "string", enum: ["cli", "shell"] },
    enabled: bool(),
    config: anyObject('Secrets redacted as "********" for integrations'),
    runtime: ref("ProviderRuntime")
  }, "A provider manifest as the wire shows it (SPEC \xA75.1)"),
  ProviderList: object(["providers"], { providers: list(ref("Provider")) }),
  ChannelCapabilities: object(["inbound", "outbound", "commands"], { inbound: bool(), outbound: bool(), commands: bool() }),
  Channel: object(["id", "kind", "name", "enabled", "running", "capabilities"], {
    id: id("ch", "Channel id"),
    kind: str("Adapter kind, e.g. webhook, telegram"),
    name: str(),
    enabled: bool(),
    running: bool(),
    capabilities: ref("ChannelCapabilities"),
    config: anyObject('Secrets redacted as "********" for integrations'),
    status: object([], { last_error: str(), last_error_at: ts("Last failure"), last_delivery_at: ts("Last delivery") }, "Admins only"),
    created_at: ts("Creation time")
  }, "A chat adapter (SPEC \xA77)"),
  ChannelList: object(["channels"], { channels: list(ref("Channel")) }),
  ChannelDelivery: object(["status", "channel_id", "conversation_id", "duration_ms"], {
    status: { const: "delivered" },
    channel_id: str(),
    conversation_id: str(),
    message_id: str(),
    duration_ms: { type: "number", minimum: 0 }
  }, "A message the platform accepted (docs/channels.md)"),
  ChannelTestResult: object(["ok"], {
    ok: bool("Whether the test message was delivered"),
    conversation_id: str(),
    message_id: str(),
    duration_ms: { type: "number", minimum: 0 },
    error: str("Why delivery failed (ok: false)")
  }),
  WebhookReceipt: object(["ok", "received"], { ok: { const: true }, received: count("Messages accepted") }),
  LoginResponse: object(["token", "username", "issued_at", "expires_at"], {
    token: str("Admin bearer token"),
    username: str(),
    issued_at: ts("Issue time"),
    expires_at: ts("Expiry")
  }),
  Me: {
    description: "The principal a credential belongs to",
    oneOf: [
      object(["kind", "id", "username"], { kind: { const: "admin" }, id: str(), username: str() }),
      object(["kind", "id", "name", "scopes"], { kind: { const: "integration" }, id: str(), name: str(), scopes: list(ref("Scope")) })
    ]
  },
  Health: object(["status", "version", "uptime_s"], {
    status: { type: "string", enum: ["ok", "degraded"] },
    version: str(),
    uptime_s: count("Seconds since the gateway started")
  }),
  OpenApiDocument: object(["openapi", "info", "paths"], { openapi: str(), info: anyObject(), paths: anyObject() }, "This document"),
  EventFrame: object(["topic", "ts", "data"], {
    topic: str("e.g. session.output, or _hello / _gap"),
    ts: ts("When it was published"),
    data: anyObject("Topic payload (SPEC \xA76)"),
    seq: count("Per-gateway sequence; absent on _hello and _gap")
  }, "One text frame of /integrations/_events"),
  HelloData: object(["epoch", "seq"], { epoch: str("Changes when the gateway restarts"), seq: count("Last seq published") }, "data of the _hello frame"),
  GapData: object(["from", "to"], { from: count("First seq not delivered"), to: count("Last seq not delivered") }, "data of a _gap frame"),
  StreamServerControl: {
    description: `Text frames of the ${STREAM_SUBPROTOCOL_V2} stream, server to client (SPEC \xA75.5)`,
    oneOf: [
      object(["type", "cursor", "cols", "rows", "state"], { type: { const: "hello" }, cursor: count("Next byte offset"), cols: int(), rows: int(), state: ref("SessionState") }),
      object(["type", "from", "to"], { type: { const: "gap" }, from: count("First lost offset"), to: count("First offset after the loss") }),
      object(["type", "cols", "rows"], { type: { const: "resize" }, cols: int(), rows: int() }),
      object(["type", "exit_code", "cursor"], { type: { const: "ended" }, exit_code: { type: ["integer", "null"] }, signal: { type: ["string", "null"] }, cursor: count("Final cursor") })
    ]
  },
  StreamClientControl: object(["type", "cols", "rows"], {
    type: { const: "resize" },
    cols: int(void 0, { minimum: 1, maximum: 1e3 }),
    rows: int(void 0, { minimum: 1, maximum: 1e3 })
  }, `Text frames of the ${STREAM_SUBPROTOCOL_V2} stream, client to server`),
  NamedKey: {
    type: "string",
    description: "A named key for POST /sessions/{id}/input (SPEC \xA75.6)",
    anyOf: [{ enum: [...NAMED_KEYS] }, { pattern: "^C-[a-zA-Z]$" }]
  }
};
var SCHEMAS = { ...RESPONSE_SCHEMAS, ...REQUEST_SCHEMAS };

// packages/core/src/openapi/components.ts
var errorContent = { "application/json": { schema: { $ref: "#/components/schemas/ErrorBody" } } };
var requestIdHeader = { $ref: "#/components/headers/X-Request-Id" };
var ERROR_RESPONSES = {
  400: { name: "BadRequest", description: "invalid_json, or validation_failed (the message names the field)" },
  401: {
    name: "Unauthorized",
    description: "Missing, malformed, expired, rotated, disabled or deleted credential (one body for all)",
    headers: { "WWW-Authenticate": { $ref: "#/components/headers/WWW-Authenticate" } }
  },
  403: { name: "Forbidden", description: "forbidden (admin only), or missing_scope (the message names the scope)" },
  404: { name: "NotFound", description: "No such resource, or another integration's (tenancy)" },
  409: { name: "Conflict", description: "Conflicts with the current state" },
  413: { name: "PayloadTooLarge", description: "The body exceeds the configured limit (default 1 MiB)" },
  415: { name: "UnsupportedMediaType", description: "A body that is not application/json" },
  429: {
    name: "RateLimited",
    description: "Too many refused credentials or failed logins from this address",
    headers: { "Retry-After": { $ref: "#/components/headers/Retry-After" } }
  },
  502: { name: "BadGateway", description: "upstream_error" },
  503: { name: "Unavailable", description: "unavailable" },
  504: { name: "GatewayTimeout", description: "upstream_timeout" }
};
var errorResponseRef = (status) => `#/components/responses/${status === "default" ? "Error" : ERROR_RESPONSES[status]?.name ?? "Error"}`;
function components() {
  const responses = {
    Error: { description: "Any other error (e.g. 500 internal_error); same body", headers: { "X-Request-Id": requestIdHeader }, content: errorContent }
  };
  for (const { name, description, headers } of Object.values(ERROR_RESPONSES)) {
    responses[name] = { description, headers: { "X-Request-Id": requestIdHeader, ...headers }, content: errorContent };
  }
  return {
    schemas: SCHEMAS,
    responses,
    headers: {
      "X-Request-Id": { description: "The request id: the incoming one echoed if sane, else generated", required: true, schema: { type: "string" } },
      "WWW-Authenticate": { description: 'Bearer realm="opendray"', required: true, schema: { type: "string" } },
      "Retry-After": { description: "Seconds to wait before retrying", required: true, schema: { type: "integer", minimum: 1 } }
    },
    securitySchemes: {
      bearer: {
        type: "http",
        scheme: "bearer",
        description: "An admin token (POST /auth/login, or the static OPENDRAY_ADMIN_TOKEN) or an integration key odk_live_\u2026"
      },
      queryToken: {
        type: "apiKey",
        in: "query",
        name: "token",
        description: "The same credential as ?token=, accepted on WebSocket upgrades only (SPEC \xA71)"
      }
    }
  };
}

// packages/core/src/openapi/responses.ts
var since = { schema: { type: "integer", minimum: 0 }, description: "Byte cursor to read from (default: the whole ring)" };
var token = { schema: { type: "string" }, description: "Credential for clients that cannot set headers (upgrades only; never logged)" };
var RUNNING_409 = "The session is not running";
var PROXY_ERRORS = {
  400: "A malformed path (dot segments, encoded slashes)",
  404: "No integration has this prefix",
  502: "The upstream failed",
  503: "The integration is disabled or unhealthy (not contacted)",
  504: "The upstream timed out"
};
var PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
function proxyOperations() {
  const out = {};
  for (const method of PROXY_METHODS) {
    const verb = method[0] + method.slice(1).toLowerCase();
    for (const [path, suffix] of [["/proxy/{prefix}", ""], ["/proxy/{prefix}/*", "Path"]]) {
      out[`${method} ${path}`] = {
        id: `proxy${verb}${suffix}`,
        request: "bytes",
        requestRequired: false,
        responses: { 0: { body: "passthrough", description: "The upstream's response, streamed" } },
        errors: PROXY_ERRORS,
        description: "Forwarded to base_url + the rest of the path + the query (minus token), signed with X-OpenDray-Signature; Authorization and gateway cookies are stripped."
      };
    }
  }
  return out;
}
var OPERATIONS = {
  "GET /health": { id: "health", responses: { 200: "Health", 503: { body: "Health", description: 'The store is unreachable: status "degraded"' } } },
  "GET /openapi.json": { id: "openapi", responses: { 200: "OpenApiDocument" } },
  "POST /auth/login": {
    id: "login",
    request: "LoginRequest",
    responses: { 200: "LoginResponse" },
    errors: { 401: "Invalid credentials", 429: "Too many failed logins from this address" }
  },
  "POST /auth/logout": { id: "logout", requestRequired: false, responses: { 204: "empty" } },
  "GET /auth/me": { id: "me", responses: { 200: "Me" } },
  "POST /integrations": {
    id: "createIntegration",
    request: "RegisterIntegrationRequest",
    responses: { 201: "IntegrationWithKey" },
    errors: { 409: "Duplicate name or route_prefix" }
  },
  "GET /integrations": { id: "listIntegrations", responses: { 200: "IntegrationList" } },
  "GET /integrations/_calls": {
    id: "listCalls",
    responses: { 200: "CallPage" },
    query: {
      integration_id: { schema: { type: "string" }, description: "Only calls of this integration" },
      direction: { schema: { enum: ["inbound", "outbound", "rejected"] }, description: "Only this direction" },
      status_class: { schema: { type: "integer", minimum: 1, maximum: 5 }, description: "Only statuses of this class (4 = 4xx)" },
      since: { schema: { type: "string", format: "date-time" }, description: "Not before (RFC 3339)" },
      until: { schema: { type: "string", format: "date-time" }, description: "Not after (RFC 3339)" },
      cursor: { schema: { type: "string" }, description: "next_cursor of the previous page" },
      limit: { schema: { type: "integer", minimum: 1, maximum: 500 }, description: "Entries per page, 1\u2013500 (default 100)" }
    }
  },
  "GET /integrations/{id}": { id: "getIntegration", responses: { 200: "Integration" } },
  "PATCH /integrations/{id}": {
    id: "updateIntegration",
    request: "UpdateIntegrationRequest",
    responses: { 200: "Integration" },
    errors: { 409: "Duplicate route_prefix" }
  },
  "DELETE /integrations/{id}": { id: "deleteIntegration", responses: { 204: "empty" } },
  "POST /integrations/{id}/rotate-key": {
    id: "rotateKey",
    request: "RotateKeyRequest",
    requestRequired: false,
    responses: { 200: "IntegrationWithKey" }
  },
  "POST /sessions": {
    id: "createSession",
    request: "CreateSessionRequest",
    requestRequired: false,
    responses: { 201: "Session" },
    errors: { 409: "The provider is not installed or is disabled", 429: "The integration's max_sessions is reached" }
  },
  "GET /sessions": {
    id: "listSessions",
    responses: { 200: "SessionList" },
    query: {
      state: { schema: { enum: ["running", "idle", "stopped", "ended", "interrupted"] }, description: "Only sessions in this state" },
      provider_id: { schema: { type: "string" }, description: "Only sessions of this provider" }
    }
  },
  "GET /sessions/{id}": { id: "getSession", responses: { 200: "Session" } },
  "DELETE /sessions/{id}": { id: "deleteSession", responses: { 204: "empty" } },
  "POST /sessions/{id}/stop": { id: "stopSession", responses: { 200: "Session" } },
  "POST /sessions/{id}/start": {
    id: "startSession",
    responses: { 200: "Session" },
    errors: { 409: "The session is running, or its provider is not installed", 429: "The integration's max_sessions is reached" }
  },
  "POST /sessions/{id}/input": { id: "sendInput", request: "InputRequest", responses: { 204: "empty" }, errors: { 409: RUNNING_409 } },
  "POST /sessions/{id}/resize": { id: "resize", request: "ResizeRequest", responses: { 204: "empty" }, errors: { 409: RUNNING_409 } },
  "GET /sessions/{id}/buffer": {
    id: "getBuffer",
    query: { since },
    responses: {
      200: {
        body: "bytes",
        description: "Raw PTY bytes from max(since, oldest) to the end (SPEC \xA75.4)",
        headers: {
          "X-OpenDray-Buffer-Start": "Offset of the first byte returned; greater than since means bytes were lost",
          "X-OpenDray-Buffer-Cursor": "The next since"
        }
      }
    }
  },
  "GET /sessions/{id}/history": {
    id: "getHistory",
    query: { limit: { schema: { type: "integer", minimum: 1, maximum: 1e3 }, description: "Most entries, 1\u20131000 (default 200)" } },
    responses: { 200: "HistoryList" }
  },
  "GET /sessions/{id}/screen": {
    id: "getScreen",
    query: { format: { schema: { enum: ["json", "ansi"] }, description: "ansi: bytes that repaint the screen" } },
    responses: { 200: { body: ["Screen", "bytes"], description: "The rendered screen (JSON), or repaint bytes with ?format=ansi" } }
  },
  "GET /providers": { id: "listProviders", responses: { 200: "ProviderList" } },
  "GET /providers/{id}": { id: "getProvider", responses: { 200: "Provider" } },
  "PATCH /providers/{id}/config": { id: "updateProviderConfig", request: "ProviderConfigPatch", responses: { 200: "Provider" } },
  "GET /channels": { id: "listChannels", responses: { 200: "ChannelList" } },
  "POST /channels": { id: "createChannel", request: "CreateChannelRequest", responses: { 201: "Channel" }, errors: { 409: "Duplicate name" } },
  "GET /channels/{id}": { id: "getChannel", responses: { 200: "Channel" } },
  "PATCH /channels/{id}": { id: "updateChannel", request: "UpdateChannelRequest", responses: { 200: "Channel" }, errors: { 409: "Duplicate name" } },
  "DELETE /channels/{id}": { id: "deleteChannel", responses: { 204: "empty" } },
  "POST /channels/{id}/test": {
    id: "testChannel",
    request: "ChannelTestRequest",
    requestRequired: false,
    responses: { 200: { body: "ChannelTestResult", description: "The test ran; ok tells its outcome" } },
    errors: { 409: "The channel is not running or cannot send" }
  },
  "POST /channels/{id}/messages": {
    id: "sendChannelMessage",
    request: "SendChannelMessageRequest",
    responses: { 202: "ChannelDelivery" },
    errors: { 409: "The channel is not running or cannot send", 502: "Delivery failed" }
  },
  "POST /channels/{id}/webhook": {
    id: "channelWebhook",
    request: "WebhookInbound",
    responses: { 200: "WebhookReceipt" },
    errors: {
      400: "Not JSON, or a bad field",
      401: "Missing or wrong channel secret or signature (not a gateway credential)",
      404: "No such channel, or it takes no webhooks",
      409: "The channel is not running",
      413: "Body over the limit"
    },
    description: "Authenticated by the channel's own secret: Authorization: Bearer <secret>, X-OpenDray-Channel-Token, or X-OpenDray-Timestamp + X-OpenDray-Signature."
  },
  ...proxyOperations()
};
var UPGRADES = {
  "/sessions/{id}/stream": {
    id: "streamSession",
    description: 'Live terminal (SPEC \xA75.5). Default mode: the ring, then every PTY chunk, as binary frames; client frames are input (needs session:input, else close 4003); {"type":"ended","exit_code"} then close 1000. With the opendray.v2 subprotocol: raw bytes both ways and JSON control frames; resume with ?since=<cursor>.',
    query: { since, token },
    subprotocols: ["opendray.v2"],
    frames: { server: "StreamServerControl", client: "StreamClientControl" },
    errors: { 400: "A malformed since" }
  },
  "/integrations/_events": {
    id: "events",
    description: 'Event stream (SPEC \xA76): one JSON text frame per event, first {"topic":"_hello"}; {"topic":"_gap"} when events could not be delivered. Each topic needs event:subscribe:<topic> (admins bypass). Client frames are ignored.',
    query: {
      topics: { schema: { type: "string" }, required: true, description: "Comma-separated topics; trailing .* wildcard; * = all the caller may see" },
      since: { schema: { type: "integer", minimum: 0 }, description: "Last seq seen: replay what was missed" },
      token
    },
    frames: { server: "EventFrame" },
    tag: "events",
    errors: { 400: "An empty or malformed topic list", 403: "A topic the caller has no event:subscribe scope for" }
  },
  "/proxy/{prefix}": {
    id: "proxyWebSocket",
    description: "A WebSocket upgrade forwarded to the integration (SPEC \xA78).",
    query: { token },
    frames: {},
    errors: PROXY_ERRORS
  },
  "/proxy/{prefix}/*": {
    id: "proxyWebSocketPath",
    description: "A WebSocket upgrade forwarded to the integration (SPEC \xA78).",
    query: { token },
    frames: {},
    errors: PROXY_ERRORS
  }
};

// packages/core/src/openapi/document.ts
var operationKey = (method, template) => `${method.toUpperCase()} ${template}`;
var openApiPath = (template) => template.replace(/\/\*$/, "/{path}");
function buildOpenApiDocument(routes, upgrades) {
  const paths = {};
  for (const route of routes) {
    const item = paths[openApiPath(route.path)] ??= {};
    item[route.method.toLowerCase()] = restOperation(route, OPERATIONS[operationKey(route.method, route.path)]);
  }
  for (const endpoint of upgrades) {
    const item = paths[openApiPath(endpoint.path)] ??= {};
    item.get = upgradeOperation(endpoint, UPGRADES[endpoint.path], item.get);
  }
  const tags = /* @__PURE__ */ new Set();
  for (const item of Object.values(paths)) for (const op of Object.values(item)) for (const t of op.tags) tags.add(t);
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: {
      title: "opendray gateway",
      version: CORE_VERSION,
      description: "A gateway for AI coding agents: PTY sessions driven by integrations over HTTP and WebSockets. Response objects may gain fields (wire compatibility); clients must ignore unknown ones.",
      license: { name: "MIT", identifier: "MIT" }
    },
    servers: [{ url: "/api/v1", description: "This gateway" }],
    security: [{ bearer: [] }],
    tags: [...tags].map((name) => ({ name })),
    paths,
    components: components()
  };
}
function restOperation(route, doc) {
  const bodyMode = route.body ?? (route.method === "GET" || route.method === "DELETE" ? "none" : "json");
  const op = {
    operationId: doc?.id ?? fallbackId(route.method, route.path),
    summary: route.summary ?? "",
    description: describe2(route.access, doc?.description),
    tags: [tagOf(route.path)],
    ...accessFields(route.access, false),
    parameters: [...pathParameters(route.path), ...queryParameters(doc?.query)]
  };
  if (doc?.request) op.requestBody = requestBody(doc.request, doc.requestRequired ?? true);
  if (!doc) {
    op["x-opendray-undocumented"] = true;
    op.responses = { default: { description: "Not documented yet" } };
    return op;
  }
  const generic = [];
  if (bodyMode === "json") generic.push(400, 413, 415);
  if (doc.query) generic.push(400);
  generic.push(...accessErrors(route.access));
  if (/\{|\*$/.test(route.path)) generic.push(404);
  op.responses = { ...errorResponses(generic, doc.errors), ...successResponses(doc.responses) };
  return op;
}
function upgradeOperation(endpoint, doc, rest) {
  const switching = {
    description: "Switching Protocols: the WebSocket is open. Refusals are plain HTTP responses with an ErrorBody."
  };
  const websocket = {
    subprotocols: doc?.subprotocols ?? [],
    ...doc?.frames.server ? { serverFrames: { $ref: `#/components/schemas/${doc.frames.server}` } } : {},
    ...doc?.frames.client ? { clientFrames: { $ref: `#/components/schemas/${doc.frames.client}` } } : {}
  };
  const errors = errorResponses([400, ...accessErrors(endpoint.access), .../\{/.test(endpoint.path) ? [404] : []], doc?.errors);
  const security = endpoint.access === "public" ? [] : [{ bearer: [] }, { queryToken: [] }];
  if (rest) {
    return {
      ...rest,
      description: `${String(rest.description)}

Also accepts a WebSocket upgrade (101). ${doc?.description ?? endpoint.summary ?? ""}`,
      security,
      parameters: mergeParameters(rest.parameters, queryParameters(doc?.query)),
      responses: { "101": switching, ...errors, ...rest.responses },
      "x-opendray-websocket": websocket
    };
  }
  return {
    operationId: doc?.id ?? fallbackId("ws", endpoint.path),
    summary: endpoint.summary ?? "",
    description: describe2(endpoint.access, doc ? `WebSocket. ${doc.description}` : "WebSocket."),
    tags: [doc?.tag ?? tagOf(endpoint.path)],
    ...accessFields(endpoint.access, true),
    parameters: [...pathParameters(endpoint.path), ...queryParameters(doc?.query)],
    responses: { "101": switching, ...errors },
    "x-opendray-websocket": websocket,
    ...doc ? {} : { "x-opendray-undocumented": true }
  };
}
function successResponses(responses) {
  const out = {};
  for (const [status, doc] of Object.entries(responses)) {
    const { body, description, headers } = typeof doc === "string" || Array.isArray(doc) ? { body: doc } : doc;
    const code = Number(status);
    const response = {
      description: description ?? STATUS_CODES[code] ?? "Response",
      headers: {
        "X-Request-Id": { $ref: "#/components/headers/X-Request-Id" },
        ...Object.fromEntries(Object.entries(headers ?? {}).map(([name, d]) => [name, { description: d, required: true, schema: { type: "string", pattern: "^\\d+$" } }]))
      }
    };
    const content = contentOf(body);
    if (content) response.content = content;
    out[code === 0 ? "default" : status] = response;
  }
  return out;
}
function contentOf(body) {
  const out = {};
  for (const b of typeof body === "string" ? [body] : body) {
    if (b === "empty") continue;
    if (b === "bytes") out["application/octet-stream"] = { schema: { type: "string", contentMediaType: "application/octet-stream" } };
    else if (b === "passthrough") out["*/*"] = {};
    else out["application/json"] = { schema: { $ref: `#/components/schemas/${b}` } };
  }
  return Object.keys(out).length ? out : null;
}
function errorResponses(generic, specific = {}) {
  const out = {};
  for (const status of [.../* @__PURE__ */ new Set([...generic, ...Object.keys(specific).map(Number)])].sort((a, b) => a - b)) {
    const description = specific[status];
    out[String(status)] = { $ref: errorResponseRef(status), ...description ? { description } : {} };
  }
  out.default = { $ref: errorResponseRef("default") };
  return out;
}
function requestBody(request, required) {
  if (request === "bytes") return { required: false, content: { "*/*": {} } };
  return { required, content: { "application/json": { schema: { $ref: `#/components/schemas/${request}` } } } };
}
function accessErrors(access2) {
  if (access2 === "public") return [];
  return access2 === "authenticated" ? [401, 429] : [401, 403, 429];
}
function accessFields(access2, websocket) {
  const scope = typeof access2 === "string" ? access2 : { anyOf: [...access2.anyOf] };
  const security = access2 === "public" ? [] : websocket ? [{ bearer: [] }, { queryToken: [] }] : [{ bearer: [] }];
  return { security, "x-opendray-scope": scope };
}
function describe2(access2, more) {
  const who = access2 === "public" ? "Public: no credential." : access2 === "authenticated" ? "Any valid credential (admin or integration key)." : access2 === "admin" ? "Admin only." : typeof access2 === "string" ? `Requires scope \`${access2}\` (admins bypass).` : `Requires one of the scopes ${access2.anyOf.map((s2) => `\`${s2}\``).join(", ")} (admins bypass).`;
  return more ? `${who}

${more}` : who;
}
function pathParameters(template) {
  const params = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
  if (template.endsWith("/*")) {
    params.push({ name: "path", in: "path", required: true, description: 'The rest of the path; may contain "/"', schema: { type: "string" } });
  }
  return params;
}
function queryParameters(query) {
  return Object.entries(query ?? {}).map(([name, q]) => ({ name, in: "query", required: q.required ?? false, description: q.description, schema: q.schema }));
}
function mergeParameters(a, b) {
  const key = (p) => `${String(p.in)}:${String(p.name)}`;
  const seen = new Set(a.map(key));
  return [...a, ...b.filter((p) => !seen.has(key(p)))];
}
var TAGS = { health: "meta", "openapi.json": "meta" };
function tagOf(template) {
  const first = template.split("/")[1] ?? "";
  return TAGS[first] ?? first;
}
function fallbackId(method, template) {
  const words = template.split("/").filter(Boolean).map((s2) => s2.replace(/[^A-Za-z0-9]/g, ""));
  return [method.toLowerCase(), ...words.map((w) => w.charAt(0).toUpperCase() + w.slice(1))].join("");
}

// packages/core/src/http/routes/openapi.ts
function openApiRoutes(routes, upgrades) {
  let document = null;
  return [
    {
      method: "GET",
      path: "/openapi.json",
      access: "public",
      summary: "This OpenAPI 3.1 document",
      handler() {
        document ??= buildOpenApiDocument(routes(), upgrades);
        return json(document);
      }
    }
  ];
}

// packages/core/src/integrations/keys.ts
import bcrypt2 from "bcrypt";
import { randomBytes as randomBytes3 } from "node:crypto";
var API_KEY_PREFIX = "odk_live_";
var API_KEY_PATTERN = /^odk_live_[A-Za-z0-9_-]{43}$/;
var LOOKUP_ID_LENGTH = 12;
function mintApiKey() {
  const secret = randomBytes3(32).toString("base64url");
  return { plaintext: `${API_KEY_PREFIX}${secret}`, lookupId: secret.slice(0, LOOKUP_ID_LENGTH) };
}
function lookupIdOf(token2) {
  if (token2.length !== 52 || !API_KEY_PATTERN.test(token2)) return null;
  return token2.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + LOOKUP_ID_LENGTH);
}
function mintSigningSecret() {
  return randomBytes3(32).toString("base64url");
}
var keyHashStats = { hashes: 0, compares: 0 };
function bcryptKeyHasher(cost) {
  return {
    hash(plaintext) {
      keyHashStats.hashes++;
      return bcrypt2.hash(plaintext, cost);
    },
    compare(plaintext, hash) {
      keyHashStats.compares++;
      return bcrypt2.compare(plaintext, hash);
    }
  };
}
async function issueKey(hasher) {
  const key = mintApiKey();
  return { plaintext: key.plaintext, stored: { lookup_id: key.lookupId, hash: await hasher.hash(key.plaintext) } };
}

// packages/core/src/auth/api-key-verifier.ts
function createApiKeyVerifier(opts) {
  const maxCached = opts.maxCached ?? 1e4;
  const cache = /* @__PURE__ */ new Map();
  const byIntegration = /* @__PURE__ */ new Map();
  const inflight = /* @__PURE__ */ new Map();
  const holdsHash = (record, hash) => {
    if (record.key.hash === hash) return true;
    const prev = record.previous_key;
    return prev !== void 0 && prev.hash === hash && graceLasts(prev.valid_until, opts.clock.now());
  };
  const forget = (digest2) => {
    const entry = cache.get(digest2);
    if (!entry) return;
    cache.delete(digest2);
    const set = byIntegration.get(entry.integrationId);
    set?.delete(digest2);
    if (set?.size === 0) byIntegration.delete(entry.integrationId);
  };
  const remember = (digest2, entry) => {
    forget(digest2);
    if (cache.size >= maxCached) forget(cache.keys().next().value);
    cache.set(digest2, entry);
    const set = byIntegration.get(entry.integrationId) ?? /* @__PURE__ */ new Set();
    set.add(digest2);
    byIntegration.set(entry.integrationId, set);
  };
  const firstUse = async (token2, lookupId, digest2) => {
    const record = await opts.store.findByLookupId(lookupId);
    if (!record || !record.enabled) return null;
    const now = opts.clock.now();
    const candidate = record.key.lookup_id === lookupId ? record.key : record.previous_key?.lookup_id === lookupId && graceLasts(record.previous_key.valid_until, now) ? record.previous_key : null;
    if (!candidate) return null;
    if (!await opts.hasher.compare(token2, candidate.hash)) return null;
    const current = await opts.store.get(record.id);
    if (!current || !current.enabled || !holdsHash(current, candidate.hash)) return null;
    remember(digest2, { integrationId: current.id, hash: candidate.hash });
    return principalOf(current);
  };
  return {
    async verify(token2) {
      const lookupId = lookupIdOf(token2);
      if (lookupId === null) return null;
      const digest2 = sha256Hex(token2);
      const hit = cache.get(digest2);
      if (hit) {
        const record = await opts.store.get(hit.integrationId);
        if (record && record.enabled && holdsHash(record, hit.hash)) return principalOf(record);
        forget(digest2);
        if (!record || !record.enabled) return null;
      }
      let pending = inflight.get(digest2);
      if (!pending) {
        pending = firstUse(token2, lookupId, digest2).finally(() => inflight.delete(digest2));
        inflight.set(digest2, pending);
      }
      return pending;
    },
    invalidate(integrationId) {
      for (const digest2 of [...byIntegration.get(integrationId) ?? []]) forget(digest2);
    },
    get size() {
      return cache.size;
    }
  };
}
function graceLasts(validUntil, now) {
  return validUntil !== void 0 && Date.parse(validUntil) > now;
}
function principalOf(record) {
  return { kind: "integration", id: record.id, name: record.name, scopes: record.scopes, maxSessions: record.max_sessions };
}

// packages/core/src/calllog/query.ts
var DEFAULT_CALL_LIMIT = 100;
var MAX_CALL_LIMIT = 500;
var DIRECTIONS = ["inbound", "outbound", "rejected"];
var RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
var CURSOR = /^[A-Za-z0-9_-]{1,128}$/;
function parseCallQuery(params) {
  const q = { limit: DEFAULT_CALL_LIMIT };
  const integrationId = params.get("integration_id");
  if (integrationId !== null) {
    if (integrationId === "" || integrationId.length > 64) throw badRequest("integration_id: must be 1\u201364 characters");
    q.integration_id = integrationId;
  }
  const direction = params.get("direction");
  if (direction !== null) {
    if (!DIRECTIONS.includes(direction)) throw badRequest(`direction: must be one of ${DIRECTIONS.join(", ")}`);
    q.direction = direction;
  }
  const statusClass = params.get("status_class");
  if (statusClass !== null) {
    if (!/^[1-5]$/.test(statusClass)) throw badRequest("status_class: must be an integer from 1 to 5");
    q.status_class = Number(statusClass);
  }
  const since2 = params.get("since");
  if (since2 !== null) q.since = parseTime("since", since2);
  const until = params.get("until");
  if (until !== null) q.until = parseTime("until", until);
  if (q.since && q.until && q.since > q.until) throw badRequest("until: must not be before since");
  const limit = params.get("limit");
  if (limit !== null) {
    if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_CALL_LIMIT) {
      throw badRequest(`limit: must be an integer from 1 to ${MAX_CALL_LIMIT}`);
    }
    q.limit = Number(limit);
  }
  const cursor = params.get("cursor");
  if (cursor !== null) {
    if (!CURSOR.test(cursor)) throw badRequest("cursor: not a cursor from a previous page");
    q.cursor = cursor;
  }
  return q;
}
function parseTime(field2, value) {
  const ms = RFC3339.test(value) && realDate(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw badRequest(`${field2}: must be an RFC 3339 timestamp, e.g. 2026-04-27T14:01:00.123Z`);
  return new Date(ms).toISOString();
}
function realDate(value) {
  const [y, m, d] = value.slice(0, 10).split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d;
}

// packages/core/src/integrations/validate.ts
var DEFAULT_SCOPES = ["session:read", "event:subscribe:session.*"];
var DEFAULT_MAX_SESSIONS = 10;
var MAX_SESSIONS_LIMIT = 1e3;
var MAX_GRACE_SECONDS = 604800;
var NAME = /^[A-Za-z0-9](?:[A-Za-z0-9 ._-]*[A-Za-z0-9._-])?$/;
var PREFIX = /^[a-z0-9][a-z0-9-]{0,62}$/;
var VISIBLE_ASCII = /^[\x21-\x7e]+$/;
var PRINTABLE = /^[^\p{Cc}\p{Cf}]*$/u;
function parseRegister(body) {
  const b = objectBody2(body);
  if (b.name === void 0) throw badRequest("name: required");
  const name = parseName(b.name);
  const base_url = b.base_url === void 0 ? "" : parseBaseUrl(b.base_url);
  const route_prefix = b.route_prefix === void 0 ? "" : parsePrefix(b.route_prefix);
  bothOrNeither(base_url, route_prefix);
  const version = b.version === void 0 ? void 0 : parseVersion(b.version);
  return {
    name,
    base_url,
    route_prefix,
    scopes: b.scopes === void 0 ? [...DEFAULT_SCOPES] : parseScopes(b.scopes),
    ...version ? { version } : {},
    max_sessions: b.max_sessions === void 0 ? DEFAULT_MAX_SESSIONS : parseMaxSessions(b.max_sessions)
  };
}
function parsePatch(body) {
  const b = objectBody2(body);
  const patch = {};
  if (b.base_url !== void 0) patch.base_url = parseBaseUrl(b.base_url);
  if (b.route_prefix !== void 0) patch.route_prefix = parsePrefix(b.route_prefix);
  if (b.scopes !== void 0) patch.scopes = parseScopes(b.scopes);
  if (b.version !== void 0) patch.version = parseVersion(b.version);
  if (b.enabled !== void 0) {
    if (typeof b.enabled !== "boolean") throw badRequest("enabled: must be a boolean");
    patch.enabled = b.enabled;
  }
  if (b.max_sessions !== void 0) patch.max_sessions = parseMaxSessions(b.max_sessions);
  return patch;
}
function parseRotate(body) {
  const b = objectBody2(body);
  const g2 = b.grace_seconds;
  if (g2 === void 0) return { graceSeconds: 0 };
  if (typeof g2 !== "number" || !Number.isInteger(g2) || g2 < 0 || g2 > MAX_GRACE_SECONDS) {
    throw badRequest(`grace_seconds: must be an integer from 0 to ${MAX_GRACE_SECONDS}`);
  }
  return { graceSeconds: g2 };
}
function bothOrNeither(baseUrl, routePrefix) {
  if (baseUrl && !routePrefix) throw badRequest("route_prefix: required when base_url is set");
  if (routePrefix && !baseUrl) throw badRequest("base_url: required when route_prefix is set");
}
function objectBody2(body) {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("body: must be a JSON object");
  return body;
}
function parseName(v) {
  if (typeof v !== "string") throw badRequest("name: must be a string");
  if (v.length === 0) throw badRequest("name: must not be empty");
  if (v.length > 64) throw badRequest("name: at most 64 characters");
  if (!NAME.test(v)) {
    throw badRequest('name: only ASCII letters, digits, space, ".", "_" and "-", starting with a letter or digit and not ending in a space');
  }
  return v;
}
function parseBaseUrl(v) {
  if (typeof v !== "string") throw badRequest("base_url: must be a string");
  if (v === "") return "";
  if (v.length > 2048) throw badRequest("base_url: at most 2048 characters");
  if (!VISIBLE_ASCII.test(v)) throw badRequest("base_url: must be printable ASCII without spaces");
  let url2;
  try {
    url2 = new URL(v);
  } catch {
    throw badRequest("base_url: not a valid URL");
  }
  if (url2.protocol !== "http:" && url2.protocol !== "https:") throw badRequest("base_url: must be http or https");
  if (!url2.hostname) throw badRequest("base_url: must have a host");
  if (url2.username || url2.password) throw badRequest("base_url: must not contain credentials");
  if (v.includes("?") || v.includes("#")) throw badRequest("base_url: must not contain a query or fragment");
  return v.replace(/\/+$/, "");
}
function parsePrefix(v) {
  if (typeof v !== "string") throw badRequest("route_prefix: must be a string");
  if (v === "") return "";
  if (v.startsWith("_")) throw badRequest('route_prefix: names starting with "_" are reserved');
  if (!PREFIX.test(v)) throw badRequest('route_prefix: 1\u201363 lower-case letters, digits and "-", starting with a letter or digit');
  return v;
}
function parseScopes(v) {
  if (!Array.isArray(v)) throw badRequest("scopes: must be an array of strings");
  if (v.length > 64) throw badRequest("scopes: at most 64 entries");
  const out = [];
  v.forEach((s2, i) => {
    if (typeof s2 !== "string") throw badRequest(`scopes[${i}]: must be a string`);
    if (!isKnownScope(s2)) throw badRequest(`scopes[${i}]: unknown scope ${JSON.stringify(s2.slice(0, 80))}`);
    if (!out.includes(s2)) out.push(s2);
  });
  return out;
}
function parseVersion(v) {
  if (typeof v !== "string") throw badRequest("version: must be a string");
  if (v.length > 64) throw badRequest("version: at most 64 characters");
  if (!PRINTABLE.test(v)) throw badRequest("version: must not contain control characters");
  return v;
}
function parseMaxSessions(v) {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > MAX_SESSIONS_LIMIT) {
    throw badRequest(`max_sessions: must be an integer from 0 to ${MAX_SESSIONS_LIMIT}`);
  }
  return v;
}

// packages/core/src/integrations/routes.ts
function integrationRoutes(service, callLog) {
  return [
    {
      method: "POST",
      path: "/integrations",
      access: "admin",
      summary: "Register an integration; the API key is shown only in this answer",
      async handler({ body }) {
        return json(await service.register(parseRegister(body)), 201);
      }
    },
    {
      method: "GET",
      path: "/integrations",
      access: "admin",
      summary: "List integrations",
      async handler() {
        return json({ integrations: await service.list() });
      }
    },
    {
      method: "GET",
      path: "/integrations/_calls",
      access: "admin",
      summary: "Query the call log, newest first",
      async handler({ query }) {
        return json(await callLog.query(parseCallQuery(query)));
      }
    },
    {
      method: "GET",
      path: "/integrations/{id}",
      access: "admin",
      summary: "One integration",
      async handler({ params }) {
        return json(await service.get(params.id));
      }
    },
    {
      method: "PATCH",
      path: "/integrations/{id}",
      access: "admin",
      summary: "Change base_url, route_prefix, scopes, version, enabled or max_sessions",
      async handler({ params, body }) {
        return json(await service.update(params.id, parsePatch(body)));
      }
    },
    {
      method: "DELETE",
      path: "/integrations/{id}",
      access: "admin",
      summary: "Delete an integration (its sessions are stopped, its call-log rows kept)",
      async handler({ params }) {
        await service.remove(params.id);
        return noContent();
      }
    },
    {
      method: "POST",
      path: "/integrations/{id}/rotate-key",
      access: "admin",
      summary: "Issue a new API key; the old one dies now or after grace_seconds",
      async handler({ params, body }) {
        const { graceSeconds } = parseRotate(body);
        return json(await service.rotate(params.id, graceSeconds));
      }
    }
  ];
}

// packages/core/src/ws/close-codes.ts
var CloseCode = {
  normal: 1e3,
  goingAway: 1001,
  /** A frame larger than the endpoint accepts. */
  tooBig: 1009,
  /** The peer could not keep up; its backlog was dropped (default stream mode). */
  tryAgainLater: 1013,
  /** The credential was revoked: rotated, disabled or deleted. */
  revoked: 4001,
  /** The principal lacks the scope for what it tried. */
  missingScope: 4003
};

// packages/core/src/integrations/service.ts
function toWire(r2) {
  return {
    id: r2.id,
    name: r2.name,
    base_url: r2.base_url,
    route_prefix: r2.route_prefix,
    scopes: [...r2.scopes],
    ...r2.version ? { version: r2.version } : {},
    enabled: r2.enabled,
    health_status: r2.health_status,
    ...r2.health_payload ? { health_payload: r2.health_payload } : {},
    ...r2.health_last_seen ? { health_last_seen: r2.health_last_seen } : {},
    created_at: r2.created_at,
    ...r2.rotated_at ? { rotated_at: r2.rotated_at } : {},
    max_sessions: r2.max_sessions
  };
}
var PATCHABLE = ["base_url", "route_prefix", "scopes", "version", "enabled", "max_sessions"];
function createIntegrationService({ ctx, hasher, verifier }) {
  const store = ctx.stores.integrations;
  const graceTimers = /* @__PURE__ */ new Map();
  const publish = (topic, id2, data) => {
    ctx.bus.publish(topic, { integration_id: id2, ...data }, { tenant: id2 });
  };
  const revoke = (id2, reason, code = CloseCode.revoked) => {
    verifier.invalidate(id2);
    ctx.connections.revoke(id2, reason, code);
  };
  const clearGrace = (id2) => {
    clearTimeout(graceTimers.get(id2));
    graceTimers.delete(id2);
  };
  const scheduleGraceEnd = (id2, lookupId, ms) => {
    clearGrace(id2);
    const timer = setTimeout(() => {
      graceTimers.delete(id2);
      revoke(id2, "previous key expired");
      store.update(id2, ({ previous_key, ...rest }) => previous_key?.lookup_id === lookupId ? rest : { ...rest, ...previous_key ? { previous_key } : {} }).catch((err) => ctx.logger.warn("could not drop an expired key", { integration_id: id2, error: err }));
    }, ms);
    timer.unref();
    graceTimers.set(id2, timer);
  };
  const existing = async (id2) => {
    const record = await store.get(id2);
    if (!record) throw notFound("integration");
    return record;
  };
  return {
    async register(input) {
      const key = await issueKey(hasher);
      const signingSecret = input.base_url ? mintSigningSecret() : void 0;
      const record = {
        id: newId("int"),
        name: input.name,
        base_url: input.base_url,
        route_prefix: input.route_prefix,
        scopes: input.scopes,
        ...input.version ? { version: input.version } : {},
        enabled: true,
        health_status: "unknown",
        created_at: isoTime(ctx.clock.now()),
        max_sessions: input.max_sessions,
        key: key.stored,
        ...signingSecret ? { signing_secret: signingSecret } : {}
      };
      await store.create(record);
      publish("integration.registered", record.id, { name: record.name, route_prefix: record.route_prefix, scopes: [...record.scopes] });
      return { integration: toWire(record), api_key: key.plaintext, ...signingSecret ? { signing_secret: signingSecret } : {} };
    },
    async list() {
      const records = await store.list();
      return records.map(toWire).sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
    },
    async get(id2) {
      return toWire(await existing(id2));
    },
    async update(id2, patch) {
      let changed = [];
      let narrowed = false;
      const next = await store.update(id2, (current) => {
        const base_url = patch.base_url ?? current.base_url;
        const route_prefix = patch.route_prefix ?? current.route_prefix;
        bothOrNeither(base_url, route_prefix);
        const { signing_secret, version, ...rest } = current;
        const nextVersion = patch.version ?? version;
        const secret = base_url ? signing_secret ?? mintSigningSecret() : void 0;
        const candidate = {
          ...rest,
          base_url,
          route_prefix,
          scopes: patch.scopes ?? current.scopes,
          enabled: patch.enabled ?? current.enabled,
          max_sessions: patch.max_sessions ?? current.max_sessions,
          ...nextVersion ? { version: nextVersion } : {},
          ...secret ? { signing_secret: secret } : {}
        };
        changed = PATCHABLE.filter((f) => JSON.stringify(candidate[f] ?? "") !== JSON.stringify(current[f] ?? ""));
        narrowed = current.scopes.some((s2) => !candidate.scopes.includes(s2));
        return candidate;
      });
      if (!next) throw notFound("integration");
      if (changed.includes("enabled") && !next.enabled) revoke(id2, "integration disabled");
      else if (narrowed) revoke(id2, "scopes narrowed", CloseCode.missingScope);
      if (changed.length) publish("integration.updated", id2, { changed });
      return toWire(next);
    },
    async remove(id2) {
      if (!await store.delete(id2)) throw notFound("integration");
      clearGrace(id2);
      revoke(id2, "integration deleted");
      publish("integration.deregistered", id2, {});
    },
    async rotate(id2, graceSeconds) {
      await existing(id2);
      const key = await issueKey(hasher);
      const now = ctx.clock.now();
      let signingSecret;
      const next = await store.update(id2, ({ previous_key: _expiring, signing_secret: _old, ...rest }) => {
        signingSecret = rest.base_url ? mintSigningSecret() : void 0;
        return {
          ...rest,
          key: key.stored,
          rotated_at: isoTime(now),
          ...graceSeconds > 0 ? { previous_key: { ...rest.key, valid_until: isoTime(now + graceSeconds * 1e3) } } : {},
          ...signingSecret ? { signing_secret: signingSecret } : {}
        };
      });
      if (!next) throw notFound("integration");
      if (graceSeconds > 0) {
        verifier.invalidate(id2);
        scheduleGraceEnd(id2, next.previous_key.lookup_id, graceSeconds * 1e3);
      } else {
        clearGrace(id2);
        revoke(id2, "key rotated");
      }
      publish("integration.rotated", id2, { name: next.name });
      return { integration: toWire(next), api_key: key.plaintext, ...signingSecret ? { signing_secret: signingSecret } : {} };
    },
    stop() {
      for (const timer of graceTimers.values()) clearTimeout(timer);
      graceTimers.clear();
    }
  };
}

// packages/core/src/integrations/capability.ts
function createIntegrationsCapability(ctx) {
  const hasher = bcryptKeyHasher(ctx.options.bcryptCost);
  const verifier = createApiKeyVerifier({ store: ctx.stores.integrations, hasher, clock: ctx.clock });
  const service = createIntegrationService({ ctx, hasher, verifier });
  return {
    routes: integrationRoutes(service, ctx.callLog),
    verifiers: [verifier],
    async stop() {
      service.stop();
    }
  };
}

// packages/core/src/log.ts
var silentLogger = { debug() {
}, info() {
}, warn() {
}, error() {
} };

// packages/core/src/proxy/paths.ts
var PROXY_ROUTE = "/proxy/{prefix}/*";
function publicPrefixOf(routePrefix) {
  return `/api/v1/proxy/${routePrefix}`;
}

// packages/core/src/proxy/calls.ts
function recordOutbound(ctx, call) {
  ctx.callLog.record({
    ts: isoTime(call.startedAt),
    integration_id: call.integrationId,
    direction: "outbound",
    method: call.method,
    route: PROXY_ROUTE,
    path: call.path,
    status_code: call.status,
    duration_ms: Math.max(0, ctx.clock.now() - call.startedAt),
    bytes_in: call.bytesIn,
    bytes_out: call.bytesOut,
    request_id: call.requestId,
    remote_addr: call.remoteAddr
  });
}

// packages/core/src/proxy/engine.ts
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import httpProxy from "http-proxy";
function createProxyEngine() {
  const proxy = httpProxy.createProxyServer({ selfHandleResponse: true, toProxy: true, xfwd: false });
  const passes = proxy;
  passes.webPasses = passes.webPasses.filter((p) => p.name !== "deleteLength");
  const hooksByRequest = /* @__PURE__ */ new WeakMap();
  proxy.on("proxyReq", (proxyReq, req) => hooksByRequest.get(req)?.onProxyReq(proxyReq));
  proxy.on("proxyReqWs", (proxyReq, req) => hooksByRequest.get(req)?.onProxyReq(proxyReq));
  proxy.on("proxyRes", (proxyRes, req) => hooksByRequest.get(req)?.onProxyRes?.(proxyRes));
  proxy.on("error", () => void 0);
  const httpAgent = new HttpAgent({ keepAlive: true, maxFreeSockets: 256 });
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxFreeSockets: 256 });
  const options = (target, agent) => ({
    target: { protocol: target.protocol, hostname: target.hostname, host: target.hostname, port: target.port },
    agent
  });
  return {
    web(req, res, headers, target, hooks) {
      hooksByRequest.set(req, hooks);
      const agent = target.protocol === "https:" ? httpsAgent : httpAgent;
      withView(req, headers, target.requestTarget, () => proxy.web(req, res, options(target, agent), (err) => hooks.onError(err)));
    },
    ws(req, socket, head, headers, target, hooks) {
      hooksByRequest.set(req, hooks);
      withView(req, headers, target.requestTarget, () => proxy.ws(req, socket, head, options(target, false), (err) => hooks.onError(err)));
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    }
  };
}
function withView(req, headers, url2, run2) {
  const saved = { headers: req.headers, url: req.url };
  req.headers = headers;
  req.url = url2;
  try {
    run2();
  } finally {
    req.headers = saved.headers;
    req.url = saved.url;
  }
}

// packages/core/src/proxy/headers.ts
var HOP_BY_HOP = /* @__PURE__ */ new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade"
]);
var GATEWAY_SET = /* @__PURE__ */ new Set(["host", "authorization", "expect", "x-forwarded-proto", "x-forwarded-host", "x-request-id", "x-integration-id"]);
var GATEWAY_COOKIE = /^\s*opendray/i;
function upstreamRequestHeaders(incoming, facts) {
  const listed = connectionTokens(incoming.connection);
  const out = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === void 0) continue;
    if (name === "transfer-encoding" && !facts.websocket) {
      out[name] = Array.isArray(value) ? value.join(", ") : value;
      continue;
    }
    if (HOP_BY_HOP.has(name) || listed.has(name) || GATEWAY_SET.has(name) || name.startsWith("x-opendray-")) continue;
    if (name === "cookie") {
      const kept = withoutGatewayCookies(Array.isArray(value) ? value.join("; ") : value);
      if (kept) out.cookie = kept;
      continue;
    }
    out[name] = value;
  }
  const priorChain = incoming["x-forwarded-for"];
  const chain = Array.isArray(priorChain) ? priorChain.join(", ") : priorChain;
  out.host = facts.upstreamHost;
  out["x-forwarded-for"] = chain ? `${chain}, ${facts.clientIp}` : facts.clientIp;
  out["x-forwarded-proto"] = facts.encrypted ? "https" : "http";
  if (incoming.host) out["x-forwarded-host"] = incoming.host;
  out["x-opendray-forwarded-for"] = facts.clientIp;
  out["x-integration-id"] = facts.integrationId;
  out["x-opendray-api"] = "v1";
  out["x-request-id"] = facts.requestId;
  if (facts.signingSecret) {
    out["x-opendray-timestamp"] = String(facts.timestamp);
    out["x-opendray-signature"] = signatureHeader(facts.signingSecret, {
      timestamp: facts.timestamp,
      method: facts.method,
      target: facts.requestTarget,
      integrationId: facts.integrationId
    });
  }
  if (facts.websocket) {
    out.connection = "Upgrade";
    if (incoming.upgrade) out.upgrade = incoming.upgrade;
  }
  return out;
}
function clientResponseHeaders(upstream, rewrite) {
  const listed = connectionTokens(upstream.connection);
  const out = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === void 0 || HOP_BY_HOP.has(name) || listed.has(name) || name === "x-request-id") continue;
    if (name === "set-cookie") {
      const cookies = (Array.isArray(value) ? value : [value]).filter((c) => !GATEWAY_COOKIE.test(c)).map((c) => rescopeCookie(c, rewrite.publicPrefix));
      if (cookies.length) out[name] = cookies;
      continue;
    }
    if (name === "location" && typeof value === "string") {
      out[name] = rewriteLocation(value, rewrite);
      continue;
    }
    out[name] = value;
  }
  return out;
}
function connectionTokens(value) {
  if (!value) return /* @__PURE__ */ new Set();
  const joined = Array.isArray(value) ? value.join(",") : value;
  return new Set(joined.split(",").map((t) => t.trim().toLowerCase()).filter(Boolean));
}
function withoutGatewayCookies(header2) {
  return header2.split(";").filter((pair) => pair.trim() !== "" && !GATEWAY_COOKIE.test(pair)).map((pair) => pair.trim()).join("; ");
}
function rescopeCookie(cookie, publicPrefix) {
  return cookie.replace(/;\s*domain=[^;]*/gi, "").replace(/(;\s*path=)[^;]*/gi, `$1${publicPrefix}`);
}
function rewriteLocation(location, { baseUrl, publicPrefix }) {
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, "");
  let target;
  try {
    target = new URL(location, base);
  } catch {
    return location;
  }
  if (target.origin !== base.origin) return location;
  if (!location.startsWith("/") && !/^https?:/i.test(location)) return location;
  const path = target.pathname;
  if (basePath && path !== basePath && !path.startsWith(`${basePath}/`)) return location;
  return `${publicPrefix}${path.slice(basePath.length)}${target.search}${target.hash}`;
}
function headersFor(req, integration, target, call) {
  return upstreamRequestHeaders(req.headers, {
    integrationId: integration.id,
    signingSecret: integration.signing_secret,
    clientIp: call.remoteAddr,
    encrypted: "encrypted" in req.socket && Boolean(req.socket.encrypted),
    requestId: call.requestId,
    method: call.websocket ? "GET" : req.method ?? "GET",
    upstreamHost: target.host,
    requestTarget: target.requestTarget,
    timestamp: Math.floor(call.nowMs / 1e3),
    websocket: call.websocket
  });
}

// packages/core/src/proxy/forward-http.ts
function forwardHttp(ctx, engine, rc, integration, target, logPath) {
  const { req, res } = rc;
  const startedAt = ctx.clock.now();
  let bytesIn = 0;
  let bytesOut = 0;
  let timedOut = false;
  let proxyReq;
  let proxyRes;
  req.on("data", (chunk) => {
    bytesIn += chunk.length;
  });
  res.once("close", () => {
    if (!proxyRes?.complete) proxyReq?.destroy();
    recordOutbound(ctx, {
      integrationId: integration.id,
      method: req.method ?? "GET",
      path: logPath,
      // 499 (nginx's "client closed request") when the client left before any answer.
      status: res.headersSent ? res.statusCode : 499,
      startedAt,
      bytesIn,
      bytesOut,
      requestId: rc.requestId,
      remoteAddr: rc.remoteAddr
    });
  });
  const headers = headersFor(req, integration, target, { requestId: rc.requestId, remoteAddr: rc.remoteAddr, nowMs: ctx.clock.now(), websocket: false });
  engine.web(req, res, headers, target, {
    onProxyReq(pr) {
      proxyReq = pr;
      pr.setTimeout(ctx.options.proxyTimeoutMs, () => {
        timedOut = true;
        pr.destroy();
      });
    },
    onProxyRes(upstream) {
      proxyRes = upstream;
      upstream.on("data", (chunk) => {
        bytesOut += chunk.length;
      });
      upstream.on("error", () => void 0);
      upstream.once("close", () => {
        if (!upstream.complete) res.destroy();
      });
      const publicPrefix = publicPrefixOf(integration.route_prefix);
      res.writeHead(upstream.statusCode ?? 502, clientResponseHeaders(upstream.headers, { baseUrl: integration.base_url, publicPrefix }));
      upstream.pipe(res);
    },
    onError(err) {
      if (res.headersSent) {
        if (!proxyRes?.complete) res.destroy();
        return;
      }
      const failure = timedOut ? new GatewayError("upstream_timeout", `integration ${integration.route_prefix} did not answer in time`) : new GatewayError("upstream_error", `integration ${integration.route_prefix} is unreachable`, { cause: err });
      ctx.logger.warn("proxy upstream failed", { integration_id: integration.id, request_id: rc.requestId, code: failure.code, error: err });
      if (!req.complete) res.setHeader("Connection", "close");
      bytesOut = writeError(res, failure, rc.requestId);
    }
  });
}

// packages/core/src/ws/upgrade.ts
import { STATUS_CODES as STATUS_CODES2 } from "node:http";
function createUpgradeDispatcher(endpoints, deps) {
  const router = new Router(
    endpoints.map((e) => ({ method: "GET", path: e.path, access: e.access, body: "none", handler: () => ({ kind: "handled" }) }))
  );
  const byPath = new Map(endpoints.map((e) => [e.path, e]));
  return async function upgrade(req, socket, head) {
    const requestId = requestIdOf(req);
    const remoteAddr = remoteAddressOf(req);
    socket.on("error", () => socket.destroy());
    const split = splitUrl(req.url, deps.basePath);
    let path = split?.path ?? "";
    try {
      const lookup = split ? router.lookup("GET", split.path) : null;
      if (!lookup || !("found" in lookup)) throw notFound("route");
      const endpoint = byPath.get(lookup.found.route.path);
      path = endpoint.path;
      const token2 = bearerTokenOf(req, split.query);
      let principal;
      try {
        principal = await deps.authenticator.authenticate(token2, remoteAddr);
      } catch (err) {
        if (token2) deps.onRejected?.({ requestId, path: split.path, remoteAddr, status: toGatewayError(err).status });
        throw err;
      }
      checkAccess(endpoint.access, principal);
      await endpoint.handle({ req, socket, head, principal, params: lookup.found.params, query: split.query, requestId, remoteAddr });
    } catch (thrown) {
      const err = toGatewayError(thrown);
      if (err.code === "internal_error") deps.logger.error("upgrade failed", { path, error: err.cause ?? err });
      refuse(socket, err, requestId);
    }
  };
}
function refuse(socket, err, requestId) {
  if (!socket.writable) return void socket.destroy();
  const body = JSON.stringify({ error: err.message, code: err.code, request_id: requestId });
  const headers = {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(body)),
    "X-Request-Id": requestId,
    Connection: "close",
    ...err.headers
  };
  const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join("\r\n");
  socket.end(`HTTP/1.1 ${err.status} ${STATUS_CODES2[err.status] ?? "Error"}\r
${head}\r
\r
${body}`);
}

// packages/core/src/proxy/forward-ws.ts
function forwardWs(ctx, engine, uctx, integration, target, logPath, live) {
  const { req, socket, head } = uctx;
  const startedAt = ctx.clock.now();
  let status = 0;
  let timedOut = false;
  let upstreamSocket;
  let destroyUpstream;
  live.add(socket);
  socket.once("close", () => {
    live.delete(socket);
    upstreamSocket?.destroy();
    destroyUpstream?.();
    const readBytes = "bytesRead" in socket ? Number(socket.bytesRead) : 0;
    const writtenBytes = "bytesWritten" in socket ? Number(socket.bytesWritten) : 0;
    recordOutbound(ctx, {
      integrationId: integration.id,
      method: "GET",
      path: logPath,
      status: status || 499,
      startedAt,
      bytesIn: readBytes,
      bytesOut: writtenBytes,
      requestId: uctx.requestId,
      remoteAddr: uctx.remoteAddr
    });
  });
  const headers = headersFor(req, integration, target, { requestId: uctx.requestId, remoteAddr: uctx.remoteAddr, nowMs: ctx.clock.now(), websocket: true });
  engine.ws(req, socket, head, headers, target, {
    onProxyReq(pr) {
      destroyUpstream = () => {
        if (status !== 101) pr.destroy();
      };
      pr.setTimeout(ctx.options.proxyTimeoutMs, () => {
        if (status) return;
        timedOut = true;
        pr.destroy();
      });
      pr.once("response", (res) => {
        status = res.statusCode ?? 502;
      });
      pr.once("upgrade", (_res, upstream) => {
        status = 101;
        upstreamSocket = upstream;
        if (socket.destroyed) upstream.destroy();
      });
    },
    onError(err) {
      if (status) {
        socket.destroy();
        return;
      }
      const failure = timedOut ? new GatewayError("upstream_timeout", `integration ${integration.route_prefix} did not answer in time`) : new GatewayError("upstream_error", `integration ${integration.route_prefix} is unreachable`);
      status = failure.status;
      ctx.logger.warn("proxy upgrade failed", { integration_id: integration.id, request_id: uctx.requestId, code: failure.code, error: err });
      refuse(socket, failure, uctx.requestId);
    }
  });
}

// packages/core/src/proxy/target.ts
async function proxiedIntegration(store, prefix) {
  const record = await store.findByPrefix(prefix);
  if (!record || !record.base_url) throw notFound("integration");
  return record;
}
function assertAvailable(record) {
  if (!record.enabled) throw unavailable(`integration ${record.route_prefix} is disabled`);
  if (record.health_status === "unhealthy") throw unavailable(`integration ${record.route_prefix} is unhealthy`);
}
var FORBIDDEN_IN_SEGMENT = /[\u0000-\u001f\u007f/\\]/;
function upstreamTarget(baseUrl, rest, rawQuery) {
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, "");
  let path = basePath || "/";
  if (rest !== void 0) {
    for (const segment of rest.split("/")) checkSegment(segment);
    path = `${basePath}/${rest}`;
  }
  const query = withoutToken(rawQuery);
  return {
    protocol: base.protocol,
    hostname: base.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: base.port ? Number(base.port) : base.protocol === "https:" ? 443 : 80,
    host: base.host,
    requestTarget: asSentByHttpProxy(path) + (query ? `?${query}` : "")
  };
}
function checkSegment(segment) {
  let decoded;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    throw badRequest("path: malformed percent-encoding");
  }
  if (decoded === "." || decoded === "..") throw badRequest("path: dot segments are not allowed");
  if (FORBIDDEN_IN_SEGMENT.test(decoded)) throw badRequest("path: encoded slashes and control characters are not allowed");
}
function withoutToken(rawQuery) {
  if (!rawQuery) return "";
  return rawQuery.split("&").filter((pair) => pair !== "" && decodeName(pair.split("=", 1)[0]) !== "token").join("&");
}
function decodeName(name) {
  try {
    return decodeURIComponent(name.replace(/\+/g, " "));
  } catch {
    return name;
  }
}
function asSentByHttpProxy(path) {
  return path.replace(/\/+/g, "/").replace("http:/", "http://").replace("https:/", "https://");
}

// packages/core/src/proxy/capability.ts
var METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
function createProxyCapability(ctx) {
  const engine = createProxyEngine();
  const liveSockets = /* @__PURE__ */ new Set();
  const prepare = async (prefix, rest, rawQuery, call) => {
    const integration = await proxiedIntegration(ctx.stores.integrations, prefix);
    const logPath = `/proxy/${integration.route_prefix}${rest === void 0 ? "" : `/${rest}`}`;
    try {
      assertAvailable(integration);
      return { integration, target: upstreamTarget(integration.base_url, rest, rawQuery), logPath };
    } catch (err) {
      const status = err instanceof GatewayError ? err.status : 500;
      recordOutbound(ctx, { integrationId: integration.id, ...call, path: logPath, status, startedAt: ctx.clock.now(), bytesIn: 0, bytesOut: 0 });
      throw err;
    }
  };
  const handleHttp = async (rc) => {
    const call = { method: rc.req.method ?? "GET", requestId: rc.requestId, remoteAddr: rc.remoteAddr };
    const { integration, target, logPath } = await prepare(rc.params.prefix, rc.params["*"], rawQueryOf(rc.req.url), call);
    forwardHttp(ctx, engine, rc, integration, target, logPath);
    return handled();
  };
  const handleUpgrade = async (uctx) => {
    const call = { method: "GET", requestId: uctx.requestId, remoteAddr: uctx.remoteAddr };
    const { integration, target, logPath } = await prepare(uctx.params.prefix, uctx.params["*"], rawQueryOf(uctx.req.url), call);
    forwardWs(ctx, engine, uctx, integration, target, logPath, liveSockets);
  };
  const routes = METHODS.flatMap(
    (method) => ["/proxy/{prefix}", "/proxy/{prefix}/*"].map(
      (path) => ({
        method,
        path,
        access: "admin",
        body: "stream",
        summary: "Reverse proxy to the integration registered under this prefix",
        handler: handleHttp
      })
    )
  );
  const upgrades = ["/proxy/{prefix}", "/proxy/{prefix}/*"].map((path) => ({
    path,
    access: "admin",
    summary: "WebSocket upgrade proxied to the integration",
    handle: handleUpgrade
  }));
  return {
    routes,
    upgrades,
    async stop() {
      for (const socket of liveSockets) socket.destroy();
      liveSockets.clear();
      engine.close();
    }
  };
}
function rawQueryOf(url2) {
  const at = (url2 ?? "").indexOf("?");
  return at === -1 ? "" : url2.slice(at + 1);
}

// packages/core/src/pty/node-pty-backend.ts
import { readSync } from "node:fs";
import { createRequire as createRequire2 } from "node:module";
var require2 = createRequire2(import.meta.url);
function createNodePtyBackend() {
  let nodePty;
  return {
    spawn(file, args, options) {
      nodePty ??= require2("node-pty");
      const pty = nodePty.spawn(file, args, options);
      return withTailDrain(pty);
    }
  };
}
var READ_BYTES = 65536;
var DRAIN_MAX_READS = 1024;
function withTailDrain(pty) {
  const internals = pty;
  const socket = internals._socket;
  const fd = internals._fd;
  if (!socket || typeof fd !== "number") return pty;
  const listeners = /* @__PURE__ */ new Set();
  let ended = false;
  const readMore = (max, parts) => {
    const buf = Buffer.allocUnsafe(READ_BYTES);
    for (let i = 0; i < max; i++) {
      let n;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch {
        return;
      }
      if (n <= 0) return;
      parts.push(Buffer.from(buf.subarray(0, n)));
    }
  };
  const emit = (parts) => {
    if (parts.length === 0) return;
    const chunk = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    for (const listener of listeners) listener(chunk);
  };
  pty.onData((data) => {
    if (ended) return;
    emit([typeof data === "string" ? Buffer.from(data) : data]);
  });
  socket.prependListener("end", () => {
    const parts = [];
    readMore(DRAIN_MAX_READS, parts);
    emit(parts);
    ended = true;
  });
  return {
    get pid() {
      return pty.pid;
    },
    get cols() {
      return pty.cols;
    },
    get rows() {
      return pty.rows;
    },
    onData(listener) {
      listeners.add(listener);
      return { dispose: () => void listeners.delete(listener) };
    },
    onExit: (listener) => pty.onExit(listener),
    write: (data) => pty.write(data),
    resize: (cols, rows) => pty.resize(cols, rows),
    kill: (signal) => pty.kill(signal),
    pause: () => pty.pause(),
    resume: () => pty.resume()
  };
}

// packages/core/src/ws/stream-endpoint.ts
import { STREAM_SUBPROTOCOL_V2 as STREAM_SUBPROTOCOL_V22 } from "@opendray/sdk/wire";
import { WebSocketServer } from "ws";

// packages/core/src/auth/tenancy.ts
function canSee(principal, ownerIntegrationId) {
  return principal.kind === "admin" || ownerIntegrationId !== void 0 && ownerIntegrationId === principal.id;
}
function ownedOr404(principal, resource, what) {
  if (!resource || !canSee(principal, resource.integration_id)) throw notFound(what);
  return resource;
}
function tenantOf(principal) {
  return principal.kind === "integration" ? principal.id : void 0;
}

// packages/core/src/sessions/input.ts
var NAMED = {
  Enter: "\r",
  Tab: "	",
  Escape: "\x1B",
  Backspace: "\x7F",
  Up: "\x1B[A",
  Down: "\x1B[B",
  Right: "\x1B[C",
  Left: "\x1B[D",
  PageUp: "\x1B[5~",
  PageDown: "\x1B[6~",
  Home: "\x1B[H",
  End: "\x1B[F",
  Delete: "\x1B[3~",
  Space: " "
};
var MAX_KEYS = 256;
function keyBytes(name) {
  if (Object.hasOwn(NAMED, name)) return NAMED[name];
  const ctrl = /^C-([a-zA-Z])$/.exec(name);
  if (ctrl) return String.fromCharCode(ctrl[1].toLowerCase().charCodeAt(0) - 96);
  return void 0;
}
function parseInput(body) {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("body: must be a JSON object");
  const b = body;
  const present = ["data", "text", "keys"].filter((k) => b[k] !== void 0);
  if (present.length !== 1) throw badRequest("data, text, keys: exactly one of them is required");
  if (b.data !== void 0) return { kind: "data", data: wellFormed(b.data, "data") };
  if (b.text !== void 0) return { kind: "text", text: wellFormed(b.text, "text") };
  const keys = b.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_KEYS) {
    throw badRequest(`keys: must be a list of 1\u2013${MAX_KEYS} key names`);
  }
  let bytes2 = "";
  keys.forEach((k, i) => {
    const seq = typeof k === "string" ? keyBytes(k) : void 0;
    if (seq === void 0) throw badRequest(`keys[${i}]: unknown key name ${JSON.stringify(k).slice(0, 40)}`);
    bytes2 += seq;
  });
  return { kind: "keys", bytes: bytes2 };
}
function wellFormed(value, field2) {
  if (typeof value !== "string") throw badRequest(`${field2}: must be a string`);
  if (!isWellFormed(value)) throw badRequest(`${field2}: must be valid UTF-8 (contains a lone surrogate)`);
  return value;
}
var LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
function isWellFormed(s2) {
  return !LONE_SURROGATE.test(s2);
}
function submittedMessage(input) {
  if (input.kind === "text") return input.text;
  if (input.kind === "data" && /[\r\n]$/.test(input.data)) {
    const text = input.data.replace(/[\r\n]+$/, "");
    return text === "" ? void 0 : text;
  }
  return void 0;
}
var QUERY_REPLY = /\x1b\[[?>][\d;]*c|\x1b\[\??\d+;\d+(?:;\d+)?R|\x1b\[\?[\d;]*\$y|\x1b\](?:1\d|4;\d+);rgb:[0-9a-fA-F/]*(?:\x07|\x1b\\)/g;
function stripQueryReplies(data) {
  if (!data.includes(27)) return data;
  const text = data.toString("latin1");
  const kept = text.replace(QUERY_REPLY, "");
  return kept.length === text.length ? data : Buffer.from(kept, "latin1");
}

// packages/core/src/ws/backpressure.ts
function sendBounded(ws, data, limitBytes, binary = typeof data !== "string") {
  if (ws.readyState !== ws.OPEN) return "closed";
  if (ws.bufferedAmount > limitBytes) return "overflow";
  ws.send(data, { binary });
  return "sent";
}
function startWriteTimeout(ws, timeoutMs) {
  let lastProgress = Date.now();
  let lastBuffered = 0;
  const timer = setInterval(() => {
    const buffered = ws.bufferedAmount;
    if (buffered === 0 || buffered < lastBuffered) lastProgress = Date.now();
    lastBuffered = buffered;
    if (Date.now() - lastProgress > timeoutMs) ws.terminate();
  }, Math.max(100, Math.floor(timeoutMs / 5)));
  timer.unref();
  const stop = () => clearInterval(timer);
  ws.once("close", stop);
  return stop;
}

// packages/core/src/sessions/stream-viewer.ts
var VIEWER_BACKLOG_BYTES = 4 * 1024 * 1024;
var CATCH_UP_POLL_MS = 25;
var SLOW_CLOSE_TIMEOUT_MS = 5e3;
var StreamViewer = class {
  constructor(ws, mode, limitBytes = VIEWER_BACKLOG_BYTES) {
    this.ws = ws;
    this.mode = mode;
    this.limitBytes = limitBytes;
    ws.once("close", () => this.close());
  }
  ws;
  mode;
  limitBytes;
  attachment = null;
  /** Offset of the first byte not sent, while lagging. */
  lagFrom = null;
  /** Offset just past the last byte sent: a chunk the catch-up already covered is not sent twice. */
  sentTo = 0;
  poll = null;
  done = false;
  /** Sends the greeting and the backlog; live chunks follow through `data`. */
  start(attachment, since2) {
    if (this.done) return attachment.detach();
    this.attachment = attachment;
    const { backlog, session } = attachment;
    if (this.mode === "v2") {
      const lost = since2 !== void 0 && since2 < backlog.start;
      this.control({ type: "hello", cursor: lost ? since2 : backlog.start, cols: session.cols, rows: session.rows, state: session.state });
      if (lost) this.control({ type: "gap", from: since2, to: backlog.start });
    }
    if (backlog.bytes.length > 0) this.ws.send(backlog.bytes, { binary: true });
    this.sentTo = backlog.cursor;
    if (attachment.ended) this.ended(attachment.ended);
  }
  data(chunk, offset) {
    if (this.done || this.lagFrom !== null) return;
    const end = offset + chunk.length;
    if (end <= this.sentTo) return;
    if (offset < this.sentTo) {
      chunk = chunk.subarray(this.sentTo - offset);
      offset = this.sentTo;
    }
    const outcome = sendBounded(this.ws, chunk, this.limitBytes);
    if (outcome !== "overflow") {
      this.sentTo = end;
      return;
    }
    if (this.mode === "default") {
      this.finish(CloseCode.tryAgainLater, "client too slow");
      setTimeout(() => this.ws.terminate(), SLOW_CLOSE_TIMEOUT_MS).unref();
      return;
    }
    this.lagFrom = offset;
    this.poll = setInterval(() => {
      if (this.ws.bufferedAmount <= this.limitBytes / 4) this.catchUp();
    }, CATCH_UP_POLL_MS);
  }
  resize(cols, rows) {
    if (this.mode === "v2" && !this.done) this.control({ type: "resize", cols, rows });
  }
  ended(info) {
    if (this.done) return;
    this.catchUp();
    if (this.mode === "v2") {
      this.control({ type: "ended", exit_code: info.exit_code, signal: info.signal ?? null, cursor: info.cursor });
    } else {
      this.ws.send(JSON.stringify({ type: "ended", exit_code: info.exit_code }));
    }
    this.finish(CloseCode.normal, "session ended");
  }
  /** Sends what the viewer missed while lagging, from the ring; `gap` for what the ring lost. */
  catchUp() {
    if (this.lagFrom === null || !this.attachment) return;
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    const slice = this.attachment.read(this.lagFrom);
    if (slice.start > this.lagFrom) this.control({ type: "gap", from: this.lagFrom, to: slice.start });
    this.lagFrom = null;
    this.sentTo = slice.cursor;
    if (slice.bytes.length > 0 && this.ws.readyState === this.ws.OPEN) this.ws.send(slice.bytes, { binary: true });
  }
  control(frame) {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(frame));
  }
  finish(code, reason) {
    this.close();
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(code, reason);
  }
  /** Stops listening (socket closed, session ended). */
  close() {
    if (this.done) return;
    this.done = true;
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    this.attachment?.detach();
  }
};

// packages/core/src/sessions/validate.ts
import { realpath, stat } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
var MAX_ARGS = 64;
var MAX_ARG_CHARS = 8192;
var MAX_ENV = 256;
var MAX_ENV_CHARS = 32768;
var MAX_NAME = 128;
var ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,255}$/;
var CONTROL = /[\u0000-\u001f\u007f]/;
async function parseCreate(body, roots) {
  const b = object2(body, "body");
  const provider_id = optionalString(b.provider_id, "provider_id", 64) ?? "shell";
  const name = optionalString(b.name, "name", MAX_NAME);
  if (name !== void 0 && (name === "" || CONTROL.test(name))) throw badRequest(`name: must be 1\u2013${MAX_NAME} printable characters`);
  const model2 = optionalString(b.model, "model", 256);
  if (model2 !== void 0 && (model2 === "" || CONTROL.test(model2))) throw badRequest("model: must be 1\u2013256 printable characters");
  let args = [];
  if (b.args !== void 0) {
    if (!Array.isArray(b.args)) throw badRequest("args: must be a list of strings");
    if (b.args.length > MAX_ARGS) throw badRequest(`args: at most ${MAX_ARGS} arguments`);
    args = b.args.map((a, i) => {
      if (typeof a !== "string" || a.length > MAX_ARG_CHARS || a.includes("\0")) {
        throw badRequest(`args[${i}]: must be a string of at most ${MAX_ARG_CHARS} characters without NUL`);
      }
      return a;
    });
  }
  const env = {};
  if (b.env !== void 0) {
    const e = object2(b.env, "env");
    const entries = Object.entries(e);
    if (entries.length > MAX_ENV) throw badRequest(`env: at most ${MAX_ENV} variables`);
    for (const [k, v] of entries) {
      if (!ENV_NAME.test(k)) throw badRequest(`env: invalid variable name ${JSON.stringify(k.slice(0, 64))}`);
      if (typeof v !== "string" || v.length > MAX_ENV_CHARS || v.includes("\0")) {
        throw badRequest(`env.${k}: must be a string of at most ${MAX_ENV_CHARS} characters without NUL`);
      }
      env[k] = v;
    }
  }
  const { cols, rows } = parseSize(b, { cols: 120, rows: 40 });
  const cwdInput = optionalString(b.cwd, "cwd", 4096) ?? roots.workspaceRoot;
  const cwd = await checkCwd(cwdInput, roots.allowedRoots);
  return { provider_id, ...name !== void 0 ? { name } : {}, cwd, args, env, cols, rows, ...model2 !== void 0 ? { model: model2 } : {} };
}
function parseSize(body, defaults) {
  const b = object2(body, "body");
  const one = (field2) => {
    const v = b[field2];
    if (v === void 0 && defaults) return defaults[field2];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 1e3) throw badRequest(`${field2}: must be an integer 1\u20131000`);
    return v;
  };
  return { cols: one("cols"), rows: one("rows") };
}
async function checkCwd(input, allowedRoots) {
  if (input === "" || input.includes("\0") || !isAbsolute(input)) throw badRequest("cwd: must be an absolute path");
  const cwd = resolve(input);
  let real;
  try {
    if (!(await stat(cwd)).isDirectory()) throw badRequest("cwd: not a directory");
    real = await realpath(cwd);
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw badRequest("cwd: no such directory");
  }
  if (allowedRoots && allowedRoots.length > 0) {
    const inside = await Promise.all(allowedRoots.map(async (root) => within(real, await realpath(root).catch(() => resolve(root)))));
    if (!inside.some(Boolean)) throw badRequest("cwd: outside the allowed roots");
  }
  return cwd;
}
function within(path, root) {
  const rel = relative(root, path);
  return rel === "" || rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
function object2(value, field2) {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw badRequest(`${field2}: must be a JSON object`);
  return value;
}
function optionalString(value, field2, max) {
  if (value === void 0 || value === null) return void 0;
  if (typeof value !== "string" || value.length > max) throw badRequest(`${field2}: must be a string of at most ${max} characters`);
  return value;
}
function parseSince(raw) {
  if (raw === null) return void 0;
  if (!/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw badRequest("since: must be a non-negative integer");
  return Number(raw);
}

// packages/core/src/ws/connections.ts
function createConnectionRegistry() {
  const byIntegration = /* @__PURE__ */ new Map();
  const all = /* @__PURE__ */ new Set();
  return {
    track(integrationId, ws) {
      const set = byIntegration.get(integrationId) ?? /* @__PURE__ */ new Set();
      byIntegration.set(integrationId, set);
      set.add(ws);
      all.add(ws);
      ws.once("close", () => {
        set.delete(ws);
        all.delete(ws);
        if (set.size === 0 && byIntegration.get(integrationId) === set) byIntegration.delete(integrationId);
      });
    },
    revoke(integrationId, reason = "credential revoked", code = CloseCode.revoked) {
      const set = byIntegration.get(integrationId);
      if (!set) return 0;
      for (const ws of set) closeHard(ws, code, reason);
      return set.size;
    },
    count(integrationId) {
      return byIntegration.get(integrationId)?.size ?? 0;
    },
    closeAll(code, reason) {
      for (const ws of all) closeHard(ws, code, reason);
    }
  };
}
function closeHard(ws, code, reason) {
  if (ws.readyState === ws.CLOSED) return;
  try {
    ws.close(code, reason);
  } catch {
    ws.terminate();
    return;
  }
  setTimeout(() => {
    if (ws.readyState !== ws.CLOSED) ws.terminate();
  }, 500).unref();
}

// packages/core/src/ws/heartbeat.ts
function startHeartbeat(ws, { intervalMs = 2e4, timeoutMs = 4e4 } = {}) {
  let lastSeen = Date.now();
  const seen = () => {
    lastSeen = Date.now();
  };
  ws.on("pong", seen);
  ws.on("message", seen);
  const timer = setInterval(() => {
    if (Date.now() - lastSeen >= timeoutMs) {
      ws.terminate();
      return;
    }
    if (ws.readyState === ws.OPEN) ws.ping();
  }, intervalMs);
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    ws.off("pong", seen);
    ws.off("message", seen);
  };
  ws.once("close", stop);
  return stop;
}

// packages/core/src/ws/stream-endpoint.ts
function createStreamEndpoint(ctx, manager) {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: ctx.options.bodyLimitBytes,
    perMessageDeflate: false,
    handleProtocols: (offered) => offered.has(STREAM_SUBPROTOCOL_V22) ? STREAM_SUBPROTOCOL_V22 : false
  });
  return {
    path: "/sessions/{id}/stream",
    access: "session:read",
    summary: "Live terminal stream: default mode or the opendray.v2 subprotocol (writing needs session:input)",
    handle({ req, socket, head, principal, params, query }) {
      const id2 = params.id;
      ownedOr404(principal, manager.get(id2), "session");
      const since2 = parseSince(query.get("since"));
      const canWrite = principalHasScope(principal, "session:input");
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (principal.kind === "integration") ctx.connections.track(principal.id, ws);
        ws.on("error", (err) => ctx.logger.debug("stream socket error", { session_id: id2, error: err }));
        startHeartbeat(ws);
        const mode = ws.protocol === STREAM_SUBPROTOCOL_V22 ? "v2" : "default";
        const viewer = new StreamViewer(ws, mode);
        ws.on("message", (data, isBinary) => onClientFrame(ws, mode, toBuffer(data), isBinary));
        manager.attach(id2, viewer, since2).then(
          (attachment) => viewer.start(attachment, since2),
          () => closeHard(ws, CloseCode.goingAway, "session gone")
        );
      });
      function onClientFrame(ws, mode, data, isBinary) {
        if (mode === "v2" && !isBinary) return onControl(ws, data);
        if (!canWrite) return closeHard(ws, CloseCode.missingScope, "missing scope: session:input");
        const input = stripQueryReplies(data);
        if (input.length === 0) return;
        try {
          manager.write(id2, input);
        } catch {
        }
      }
      function onControl(ws, data) {
        let msg;
        try {
          msg = JSON.parse(data.toString("utf8"));
        } catch {
          return;
        }
        const m = msg;
        if (m?.type !== "resize" || !isSize(m.cols) || !isSize(m.rows)) return;
        if (!canWrite) return closeHard(ws, CloseCode.missingScope, "missing scope: session:input");
        try {
          manager.resize(id2, m.cols, m.rows);
        } catch {
        }
      }
    },
    closeAll() {
      for (const ws of wss.clients) closeHard(ws, CloseCode.goingAway, "gateway shutting down");
    }
  };
}
var isSize = (v) => typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 1e3;
function toBuffer(data) {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

// packages/core/src/sessions/providers/which.ts
import { constants } from "node:fs";
import { access, stat as stat2 } from "node:fs/promises";
import { delimiter, isAbsolute as isAbsolute2, join, resolve as resolve2 } from "node:path";
async function findExecutable(command, pathEnv = process.env.PATH) {
  if (command === "" || command.includes("\0")) return null;
  if (command.includes("/")) return await isExecutableFile(resolve2(command)) ? resolve2(command) : null;
  for (const dir of (pathEnv ?? "").split(delimiter)) {
    if (!dir || !isAbsolute2(dir)) continue;
    const candidate = join(dir, command);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return null;
}
async function isExecutableFile(path) {
  try {
    await access(path, constants.X_OK);
    return (await stat2(path)).isFile();
  } catch {
    return false;
  }
}

// packages/core/src/sessions/screen-text.ts
function screenText(lines) {
  let end = lines.length;
  while (end > 0 && lines[end - 1].trim() === "") end--;
  return lines.slice(0, end).map((l) => l.trimEnd()).join("\n");
}

// packages/core/src/agents/hook-signals.ts
var MAX_TEXT2 = 65536;
var str2 = (v, max = MAX_TEXT2) => typeof v === "string" ? v.slice(0, max) : void 0;
function hookSignal(kind2, event, payload) {
  const name = event.slice(0, 64);
  const sid = str2(payload.session_id, 128);
  const base = { name, ...sid ? { agentSessionId: sid } : {} };
  const tool = () => {
    const input = payload.tool_input;
    const detail = str2(input?.command, 2e3) ?? str2(input?.cmd, 2e3) ?? str2(input?.file_path, 2e3) ?? "";
    return [str2(payload.tool_name, 128) ?? "tool", detail].filter(Boolean).join(": ");
  };
  if (kind2 === "codex" && (event === "notify" || payload.type === "agent-turn-complete")) {
    const thread = str2(payload["thread-id"], 128);
    const text = str2(payload["last-assistant-message"]);
    return { name: "notify agent-turn-complete", state: "idle", ...text !== void 0 ? { text } : {}, ...thread ? { threadId: thread } : {} };
  }
  switch (event) {
    case "SessionStart":
      return { ...base, state: "idle", onlyFromStarting: true };
    case "UserPromptSubmit":
    case "BeforeAgent":
      return { ...base, state: "working", turnStart: true };
    case "PreToolUse":
    case "BeforeTool":
    case "PostToolUse":
    case "PostToolUseFailure":
    case "AfterTool":
      return { ...base, state: "working" };
    case "PermissionRequest":
      return { ...base, state: "blocked", reason: "permission", promptText: tool() };
    case "Notification": {
      const type = str2(payload.notification_type, 64);
      if (type === "permission_prompt" || type === "ToolPermission") {
        return { ...base, name: `Notification ${type}`, state: "blocked", reason: "permission", promptText: str2(payload.message, 2e3) ?? "" };
      }
      return { ...base, name: `Notification ${type ?? ""}`.trim() };
    }
    case "Stop":
    case "StopFailure": {
      const text = str2(payload.last_assistant_message);
      return { ...base, state: "idle", ...text !== void 0 ? { text } : {} };
    }
    case "AfterAgent":
      return { ...base, state: "idle" };
    case "SessionEnd":
      return { ...base };
    default:
      return base;
  }
}

// packages/core/src/agents/rules/claude.json
var claude_default = {
  version: 1,
  agent: "claude",
  tested_with: "@anthropic-ai/claude-code 2.1.197",
  title: [
    { match: "^[\\u2800-\\u28ff]\\s", state: "working" },
    { match: "^\\u2733\\s", state: "idle", keep_blocked: true }
  ],
  osc: [
    { code: 9, match: "needs your (permission|attention)", state: "blocked", reason: "permission" },
    { code: 9, match: "waiting for your input", state: "idle", keep_blocked: true }
  ],
  bel: { state: "idle", keep_blocked: true },
  screen: [
    { match: "Do you trust the files in this folder|Is this a project you created or one you trust", state: "blocked", reason: "trust", dialog_start: "^\\s*[\u2500\u2501]{10,}" },
    { match: "Do you want to (proceed|make this edit|create|allow)", state: "blocked", reason: "permission", dialog_start: "^\\s*[\u2500\u2501]{10,}" },
    { match: "esc to interrupt", state: "working" },
    { match: "\\? for shortcuts", state: "idle", keep_blocked: false }
  ],
  reply: { start: "^\u25CF (?![A-Z][A-Za-z]*\\()", stop: "^(\u273B |\u2733 |[\u2500\u2501]{10,}|\u276F )" },
  permission: { allow: "\r", deny: "\x1B" },
  silence_ms: 8e3
};

// packages/core/src/agents/rules/codex.json
var codex_default = {
  version: 1,
  agent: "codex",
  tested_with: "@openai/codex 0.171.0",
  title: [],
  osc: [
    { code: 7501, match: "state=working", state: "working" },
    { code: 7501, match: "state=blocked.*kind=permission", state: "blocked", reason: "permission" },
    { code: 7501, match: "state=blocked", state: "blocked", reason: "question" },
    { code: 7501, match: "state=(done|idle)", state: "idle" }
  ],
  osc_reply: 9,
  screen: [
    { match: "Would you like to (run the following command|make the following edits|grant)", state: "blocked", reason: "permission" },
    { match: "Do you trust the contents of this directory", state: "blocked", reason: "trust" },
    { match: "esc to interrupt\\)", state: "working" }
  ],
  reply: { start: "^\u2022 (?!Ran |Running |Working |Explored |Edited )", stop: "^(\\s+Worked for |\u203A |\u2500 Worked for)" },
  permission: { allow: "y", deny: "\x1B", settle_ms: 1e3 },
  silence_ms: 8e3
};

// packages/core/src/agents/rules/gemini.json
var gemini_default = {
  version: 1,
  agent: "gemini",
  tested_with: "@google/gemini-cli 0.61.0",
  title: [
    { match: "^\\u2726\\s+Working", state: "working" },
    { match: "^\\u270b\\s+Action Required", state: "blocked", reason: "permission" },
    { match: "^\\u25c7\\s+Ready", state: "idle" }
  ],
  osc: [
    { code: 9, match: "Approval required|needs your attention", state: "blocked", reason: "permission" },
    { code: 9, match: "finished responding|session complete", state: "idle" },
    { code: 777, match: "Approval required|needs your attention", state: "blocked", reason: "permission" },
    { code: 777, match: "finished responding|session complete", state: "idle" }
  ],
  screen: [
    { match: "Allow execution of|Apply this change\\?|Allow execution\\?", state: "blocked", reason: "permission", dialog_start: "^\u256D" },
    { match: "Do you trust this folder", state: "blocked", reason: "trust", dialog_start: "^\u256D" },
    { match: "esc to cancel", state: "working" }
  ],
  reply: { start: "^\u2726 ", stop: "^(\\? for shortcuts|[\u2500\u2501]{10,}|\u256D| > |\\s*>\\s{2,}Type your message)" },
  permission: { allow: "\r", deny: "\x1B" },
  silence_ms: 8e3
};

// packages/core/src/agents/rules.ts
var BUILTIN = {
  claude: claude_default,
  codex: codex_default,
  gemini: gemini_default
};
var STATES = /* @__PURE__ */ new Set(["working", "idle", "blocked"]);
var REASONS = /* @__PURE__ */ new Set(["permission", "question", "trust"]);
var MAX_RULES = 64;
function loadAgentRules(overrides = {}) {
  const out = {};
  for (const kind2 of Object.keys(BUILTIN)) {
    out[kind2] = compileRules(overrides[kind2] ?? BUILTIN[kind2], `agentRules.${kind2}`);
  }
  return out;
}
function compileRules(spec, at) {
  const fail = (field2, why) => {
    throw new TypeError(`${at}.${field2}: ${why}`);
  };
  if (typeof spec !== "object" || spec === null) fail("", "must be an object");
  if (spec.version !== 1) fail("version", "must be 1");
  const regex = (s2, field2) => {
    if (typeof s2 !== "string" || s2.length > 512) return fail(field2, "must be a regular expression string");
    try {
      return new RegExp(s2, "m");
    } catch (err) {
      return fail(field2, `is not a valid regular expression (${err.message})`);
    }
  };
  const rule = (r2, field2) => {
    if (!STATES.has(r2?.state)) fail(`${field2}.state`, "must be working, idle or blocked");
    if (r2.reason !== void 0 && !REASONS.has(r2.reason)) fail(`${field2}.reason`, "must be permission, question or trust");
    return {
      match: regex(r2.match, `${field2}.match`),
      source: r2.match,
      state: r2.state,
      ...r2.reason ? { reason: r2.reason } : r2.state === "blocked" ? { reason: "permission" } : {},
      ...r2.keep_blocked ? { keep_blocked: true } : {},
      ...r2.dialog_start ? { dialog_start: regex(r2.dialog_start, `${field2}.dialog_start`) } : {}
    };
  };
  const list2 = (v, field2) => {
    if (v === void 0) return [];
    if (!Array.isArray(v) || v.length > MAX_RULES) return fail(field2, `must be a list of at most ${MAX_RULES} rules`);
    return v;
  };
  const keys = spec.permission;
  if (typeof keys?.allow !== "string" || typeof keys?.deny !== "string" || !keys.allow || !keys.deny) {
    fail("permission", "must be {allow, deny} key strings");
  }
  return {
    agent: spec.agent,
    version: spec.version,
    title: list2(spec.title, "title").map((r2, i) => rule(r2, `title[${i}]`)),
    osc: list2(spec.osc, "osc").map((r2, i) => {
      if (!Number.isInteger(r2.code)) fail(`osc[${i}].code`, "must be an integer");
      return { ...rule(r2, `osc[${i}]`), code: r2.code };
    }),
    ...spec.osc_reply !== void 0 ? { oscReply: spec.osc_reply } : {},
    ...spec.bel ? { bel: spec.bel } : {},
    screen: list2(spec.screen, "screen").map((r2, i) => rule(r2, `screen[${i}]`)),
    ...spec.reply ? { reply: { start: regex(spec.reply.start, "reply.start"), stop: regex(spec.reply.stop, "reply.stop") } } : {},
    permission: { allow: keys.allow, deny: keys.deny, settleMs: typeof keys.settle_ms === "number" && keys.settle_ms >= 0 ? Math.min(keys.settle_ms, 1e4) : 0 },
    silenceMs: spec.silence_ms ?? 8e3
  };
}
function firstMatch(rules, text) {
  return rules.find((r2) => r2.match.test(text));
}

// packages/core/src/agents/screen-regions.ts
var BOX_ONLY = /^[\s─━│┃╭╮╰╯┌┐└┘├┤┬┴┼═║]*$/;
var MAX_TEXT3 = 8192;
function matchScreen(rules, lines) {
  const text = lines.join("\n");
  const rule = rules.screen.find((r2) => r2.match.test(text));
  if (!rule) return void 0;
  const line = lines.findIndex((l) => rule.match.test(l));
  return { rule, line: line < 0 ? 0 : line };
}
function dialogText(lines, rule, line) {
  let start = line;
  if (rule.dialog_start) {
    for (let i = line; i >= Math.max(0, line - 16); i--) {
      if (rule.dialog_start.test(lines[i])) {
        start = i;
        break;
      }
    }
  }
  return clean(lines.slice(start));
}
function replyText(rules, lines) {
  const reply2 = rules.reply;
  if (!reply2) return "";
  let start = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (reply2.start.test(lines[i])) {
      start = i;
      break;
    }
  }
  if (start < 0) return "";
  const out = [lines[start].replace(reply2.start, "")];
  for (let i = start + 1; i < lines.length && !reply2.stop.test(lines[i]); i++) out.push(lines[i].replace(/^\s{2}/, ""));
  return trimBlank(out).join("\n").slice(0, MAX_TEXT3);
}
function clean(lines) {
  const kept = lines.filter((l) => !BOX_ONLY.test(l) || l.trim() === "").map((l) => l.replace(/^\s*[│┃]\s?/, "").replace(/\s*[│┃]\s*$/, "").trimEnd());
  return trimBlank(kept).join("\n").slice(0, MAX_TEXT3);
}
function trimBlank(lines) {
  let a = 0;
  let b = lines.length;
  while (a < b && lines[a].trim() === "") a++;
  while (b > a && lines[b - 1].trim() === "") b--;
  return lines.slice(a, b).map((l) => l.trimEnd());
}

// packages/core/src/agents/terminal-signals.ts
var ESC = 27;
var BEL = 7;
var MAX_STRING = 4096;
var TerminalSignalParser = class {
  mode = "ground";
  buf = [];
  overflow = false;
  push(chunk) {
    const out = [];
    for (const b of chunk) {
      switch (this.mode) {
        case "ground":
          if (b === ESC) this.mode = "esc";
          else if (b === BEL) out.push({ kind: "bel" });
          break;
        case "esc":
          if (b === 93) this.begin("osc");
          else if (b === 80 || b === 88 || b === 94 || b === 95) this.begin("skip");
          else this.mode = b === ESC ? "esc" : "ground";
          break;
        case "osc":
          if (b === BEL) this.finish(out);
          else if (b === ESC) this.mode = "osc-esc";
          else this.collect(b);
          break;
        case "osc-esc":
          if (b === 92) this.finish(out);
          else this.abort(b);
          break;
        case "skip":
          if (b === ESC) this.mode = "skip-esc";
          break;
        case "skip-esc":
          this.mode = b === 92 ? "ground" : b === ESC ? "skip-esc" : "skip";
          break;
      }
    }
    return out;
  }
  begin(mode) {
    this.mode = mode;
    this.buf = [];
    this.overflow = false;
  }
  collect(b) {
    if (this.buf.length < MAX_STRING) this.buf.push(b);
    else this.overflow = true;
  }
  abort(b) {
    this.buf = [];
    this.mode = "esc";
    if (b !== ESC) this.push(Uint8Array.of(b));
  }
  finish(out) {
    this.mode = "ground";
    if (this.overflow) return;
    const text = Buffer.from(this.buf).toString("utf8");
    this.buf = [];
    const m = /^(\d{1,5});?([\s\S]*)$/.exec(text);
    if (m) out.push({ kind: "osc", code: Number(m[1]), text: m[2] });
  }
};

// packages/core/src/agents/detector.ts
var RANK = { hook: 0, osc: 1, title: 2, screen: 3, silence: 4, process: -1 };
var AUTHORITY_MS = 2e3;
var SCREEN_SETTLE_MS = 100;
var BLOCKED_SETTLE_MS = 150;
var MAX_EXPLAIN = 50;
var AgentDetector = class {
  constructor(kind2, rules, session, logger, onEnded) {
    this.kind = kind2;
    this.rules = rules;
    this.session = session;
    this.logger = logger;
    this.onEnded = onEnded;
    const now = session.clock.now();
    this.lastOutputAt = now;
    const previous = session.record().agent;
    this.status = { kind: kind2, state: "starting", since: isoTime(now), source: "silence", ...previous?.turn ? { turn: previous.turn } : {} };
    this.session.update({ agent: this.status });
    this.armSilence();
  }
  kind;
  rules;
  session;
  logger;
  onEnded;
  status;
  explain = [];
  parser = new TerminalSignalParser();
  asserted = {};
  inputSinceIdle = false;
  oscReply;
  denied = false;
  turnFrom = 0;
  lastOutputAt;
  cancelScreen = null;
  cancelSilence = null;
  done = false;
  listeners = /* @__PURE__ */ new Set();
  /** Listens to state changes, dialogs and turn ends; returns the unsubscribe function. */
  on(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  /** The byte offset a prompt about to be typed starts at (the turn's output range). */
  markPrompt(from) {
    this.turnFrom = from;
    this.denied = false;
  }
  /** A permission answer sent by the gateway; a deny leaves the turn without a reply. */
  markDecision(decision) {
    this.denied = decision === "deny";
  }
  /** The agent CLI's own conversation id, once its hooks reported it. */
  agentSessionId() {
    const r2 = this.session.record();
    return r2.agent_session_confirmed ? r2.agent_session_id : void 0;
  }
  /**
   * Answers the dialog that is up with the CLI's keys (SPEC §17), once it has been up for
   * the rules' `settle_ms`. A key a dialog swallowed (its input guard) is sent again while
   * the same dialog is still on screen, at most 3 times. Resolves after the first send;
   * false when the dialog went away meanwhile.
   */
  async answer(decision, write2) {
    const since2 = this.status.since;
    const still = () => this.status.state === "blocked" && this.status.since === since2 && !this.done;
    const wait = (ms) => new Promise((r2) => setTimer(this.session.clock, r2, ms));
    const age = this.session.clock.now() - Date.parse(since2);
    if (age < this.rules.permission.settleMs) await wait(this.rules.permission.settleMs - age);
    if (!still()) return false;
    const keys = this.rules.permission[decision];
    this.markDecision(decision);
    write2(keys);
    void (async () => {
      for (let i = 0; i < 3; i++) {
        await wait(700);
        if (!still()) return;
        const hit = matchScreen(this.rules, (await this.session.screen()).lines);
        if (!still() || hit?.rule.state !== "blocked") return;
        this.note("screen", `dialog still up: ${decision} sent again`);
        write2(keys);
      }
    })().catch((err) => this.logger.warn("agent permission retry failed", { error: err }));
    return true;
  }
  /** One hook call (SPEC §17), already authenticated and size-checked. */
  hook(event, payload) {
    const sig = hookSignal(this.kind, event, payload);
    const record = this.session.record();
    if (sig.threadId !== void 0) {
      if (!record.agent_session_confirmed || sig.threadId !== record.agent_session_id) return this.note("hook", `hook ${sig.name} (other thread)`);
    } else if (sig.agentSessionId && (sig.agentSessionId !== record.agent_session_id || !record.agent_session_confirmed)) {
      this.session.update({ agent_session_id: sig.agentSessionId, agent_session_confirmed: true });
    }
    if (!sig.state) return this.note("hook", `hook ${sig.name}`);
    this.apply("hook", `hook ${sig.name}`, {
      state: sig.state === "exited" ? "idle" : sig.state,
      ...sig.reason ? { reason: sig.reason } : {},
      ...sig.turnStart ? { turnStart: true } : {},
      ...sig.onlyFromStarting ? { onlyFromStarting: true } : {},
      ...sig.text !== void 0 ? { text: sig.text } : {},
      ...sig.promptText !== void 0 ? { promptText: sig.promptText } : {}
    });
  }
  data(chunk, _offset, at) {
    this.lastOutputAt = at;
    for (const signal of this.parser.push(chunk)) this.terminalSignal(signal);
    if (this.rules.screen.length > 0 || this.status.state === "blocked") this.armScreen();
    this.armSilence();
  }
  input() {
    this.asserted = {};
    this.inputSinceIdle = true;
  }
  ended() {
    if (this.done) return;
    this.transition("process", "process exited", { state: "exited" });
    this.done = true;
    this.cancelScreen?.();
    this.cancelSilence?.();
    this.listeners.clear();
    this.onEnded();
  }
  terminalSignal(signal) {
    if (signal.kind === "bel") {
      if (this.rules.bel) this.apply("osc", "BEL", { state: this.rules.bel.state, ...this.rules.bel.keep_blocked ? { keepBlocked: true } : {} });
      return;
    }
    const { code, text } = signal;
    if (code === 0 || code === 2) {
      const rule2 = firstMatch(this.rules.title, text);
      if (rule2) this.apply("title", `title ${JSON.stringify(text.trim().slice(0, 80))}`, ruleProposal(rule2));
      return;
    }
    if (code === this.rules.oscReply) this.oscReply = text;
    const rule = firstMatch(this.rules.osc.filter((r2) => r2.code === code), text);
    if (rule) this.apply("osc", `osc ${code} ${JSON.stringify(text.slice(0, 80))}`, { ...ruleProposal(rule), ...rule.state === "blocked" ? { promptText: text } : {} });
  }
  apply(source, signal, p) {
    if (this.done) return;
    const now = this.session.clock.now();
    const cur = this.status.state;
    if (p.onlyFromStarting && cur !== "starting") return;
    if (p.keepBlocked && cur === "blocked" && p.state !== "blocked") return;
    for (const [s2, a] of Object.entries(this.asserted)) {
      if (RANK[s2] < RANK[source] && now - a.at < AUTHORITY_MS && a.state !== p.state) {
        if (p.state !== cur) this.note(source, `${signal} (overruled by ${s2})`);
        return;
      }
    }
    if (p.state === "working" && (cur === "idle" || cur === "starting") && !p.turnStart && !this.inputSinceIdle) return;
    this.asserted[source] = { state: p.state, at: now };
    if (p.state === cur) {
      if (cur === "blocked" && p.promptText && !this.status.prompt_text) this.status = { ...this.status, prompt_text: p.promptText };
      return;
    }
    this.transition(source, signal, p);
  }
  transition(source, signal, p) {
    const now = this.session.clock.now();
    const from = this.status.state;
    const to = p.state;
    let turn = this.status.turn;
    let completed = null;
    if (to === "working" && (from === "idle" || from === "starting")) {
      turn = { n: (turn?.n ?? 0) + 1, started_at: isoTime(now) };
      this.oscReply = void 0;
      if (this.turnFrom <= 0 || this.turnFrom > this.session.cursor()) this.turnFrom = this.session.cursor();
    }
    if ((to === "idle" || to === "exited") && (from === "working" || from === "blocked") && turn && !turn.ended_at) {
      turn = { ...turn, ended_at: isoTime(now) };
      completed = turn;
    }
    if (to === "idle") this.inputSinceIdle = false;
    const reason = "reason" in p ? p.reason : void 0;
    this.status = {
      kind: this.kind,
      state: to,
      since: isoTime(now),
      source,
      ...to === "blocked" ? { reason: reason ?? "permission" } : {},
      ...to === "blocked" && "promptText" in p && p.promptText ? { prompt_text: p.promptText } : {},
      ...turn ? { turn } : {}
    };
    this.note(source, signal, from, to);
    this.session.update({ agent: this.status });
    this.session.publish("session.state_changed", {
      session_id: this.session.id,
      from,
      to,
      source,
      ...to === "blocked" ? { reason: this.status.reason } : {}
    });
    this.emit({ type: "state", status: this.status });
    if (to === "blocked") this.afterBlocked();
    if (completed) void this.completeTurn(completed, "text" in p ? p.text : void 0);
    if (to === "working") this.denied = false;
  }
  /** Reads the dialog's text once it painted, then publishes `session.blocked`. */
  afterBlocked() {
    const at = this.status.since;
    setTimer(this.session.clock, () => {
      void (async () => {
        if (this.status.state !== "blocked" || this.status.since !== at) return;
        const lines = (await this.session.screen()).lines;
        const hit = matchScreen(this.rules, lines);
        const fromScreen = hit && hit.rule.state === "blocked" ? dialogText(lines, hit.rule, hit.line) : "";
        if (this.status.state !== "blocked" || this.status.since !== at) return;
        const prompt_text = fromScreen || this.status.prompt_text || "";
        this.status = { ...this.status, prompt_text };
        this.session.update({ agent: this.status });
        this.session.publish("session.blocked", { session_id: this.session.id, reason: this.status.reason, prompt_text });
        this.emit({ type: "blocked", status: this.status });
      })().catch((err) => this.logger.warn("agent blocked text failed", { error: err }));
    }, BLOCKED_SETTLE_MS);
  }
  async completeTurn(turn, hookText) {
    const to = this.session.cursor();
    const from = Math.min(this.turnFrom || to, to);
    let text = hookText;
    if (text === void 0 && this.denied) text = "";
    if (text === void 0 && this.oscReply !== void 0) text = this.oscReply;
    if (text === void 0) {
      try {
        text = replyText(this.rules, (await this.session.screen()).lines);
      } catch {
        text = "";
      }
    }
    this.turnFrom = 0;
    this.session.publish("session.turn_completed", { session_id: this.session.id, turn, text });
    this.emit({ type: "turn_completed", turn, text, output: { from, to } });
  }
  armScreen() {
    this.cancelScreen?.();
    this.cancelScreen = setTimer(this.session.clock, () => {
      this.cancelScreen = null;
      void this.matchScreenNow().catch((err) => this.logger.warn("agent screen rules failed", { error: err }));
    }, SCREEN_SETTLE_MS);
  }
  async matchScreenNow() {
    if (this.done || this.rules.screen.length === 0) return;
    const lines = (await this.session.screen()).lines;
    const hit = matchScreen(this.rules, lines);
    if (!hit) return;
    const p = ruleProposal(hit.rule);
    if (p.state === "blocked") p.promptText = dialogText(lines, hit.rule, hit.line);
    this.apply("screen", `screen ${JSON.stringify(hit.rule.source.slice(0, 60))}`, p);
  }
  armSilence() {
    this.cancelSilence?.();
    this.cancelSilence = setTimer(this.session.clock, () => this.checkSilence(), this.rules.silenceMs);
  }
  checkSilence() {
    this.cancelSilence = null;
    const s2 = this.status.state;
    if (this.done || s2 !== "working" && s2 !== "starting") return;
    const now = this.session.clock.now();
    if (now - this.lastOutputAt < this.rules.silenceMs) return this.armSilence();
    const fresh = Object.values(this.asserted).some((a) => now - a.at < this.rules.silenceMs);
    if (!fresh) this.apply("silence", `no output for ${now - this.lastOutputAt} ms`, { state: "idle" });
  }
  note(source, signal, from = this.status.state, to = this.status.state) {
    this.explain.push({ ts: isoTime(this.session.clock.now()), source, signal, from, to });
    if (this.explain.length > MAX_EXPLAIN) this.explain.splice(0, this.explain.length - MAX_EXPLAIN);
  }
  emit(e) {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.logger.warn("agent listener failed", { error: err });
      }
    }
  }
};
function ruleProposal(rule) {
  return { state: rule.state, ...rule.reason ? { reason: rule.reason } : {}, ...rule.keep_blocked ? { keepBlocked: true } : {} };
}

// packages/core/src/agents/hook-injection.ts
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join as join2 } from "node:path";
var CLAUDE_EVENTS = ["SessionStart", "UserPromptSubmit", "PreToolUse", "PermissionRequest", "Notification", "PostToolUse", "PostToolUseFailure", "Stop", "StopFailure", "SessionEnd"];
var CODEX_EVENTS = ["SessionStart", "UserPromptSubmit", "PreToolUse", "PermissionRequest", "PostToolUse", "Stop"];
var GEMINI_EVENTS = ["SessionStart", "BeforeAgent", "BeforeTool", "Notification", "AfterTool", "AfterAgent", "SessionEnd"];
var GEMINI_HOOK_ENV = "AGENT_EVENTS_HOOK";
var sh = (s2) => `'${s2.replace(/'/g, `'\\''`)}'`;
async function injectHooks(launch, t) {
  if (t.kind === "claude") {
    const hooks = {};
    for (const e of CLAUDE_EVENTS) {
      hooks[e] = [{ matcher: "*", hooks: [{ type: "http", url: `${t.url}?event=${e}`, headers: { Authorization: `Bearer ${t.token}` } }] }];
    }
    const file = join2(t.dir, "claude-settings.json");
    await writePrivate(file, JSON.stringify({ hooks }));
    return { ...launch, args: ["--settings", file, ...launch.args], filesDir: t.dir };
  }
  const script = await writeHookScript(t);
  if (t.kind === "codex") {
    const flags = ["--no-daemon", "--dangerously-bypass-hook-trust"];
    for (const e of CODEX_EVENTS) {
      flags.push("-c", `hooks.${e}=[{matcher="*",hooks=[{type="command",command=${JSON.stringify(`${sh(script)} ${e}`)}}]}]`);
    }
    flags.push("-c", `notify=[${JSON.stringify(script)},"notify"]`);
    const at = launch.args[0] === "resume" ? 2 : 0;
    const args = [...launch.args.slice(0, at), ...flags, ...launch.args.slice(at)];
    return { ...launch, args, filesDir: t.dir };
  }
  if (t.home) await addGeminiHooks(join2(t.home, ".gemini", "settings.json"));
  return { ...launch, env: { ...launch.env, [GEMINI_HOOK_ENV]: script }, filesDir: t.dir };
}
async function writeHookScript(t) {
  const target = `${t.url}?event=`;
  let send;
  if (t.curl) {
    await writePrivate(join2(t.dir, "auth-header"), `Authorization: Bearer ${t.token}
`);
    send = `${sh(t.curl)} -s -m 3 -o /dev/null -X POST -H @${sh(join2(t.dir, "auth-header"))} -H 'content-type: application/json' --data-binary @- ${sh(target)}"$event"`;
  } else {
    const js = [
      `const chunks = []; for await (const c of process.stdin) chunks.push(c);`,
      `await fetch(${JSON.stringify(target)} + encodeURIComponent(process.argv[2] ?? ''), { method: 'POST', headers: { authorization: ${JSON.stringify(`Bearer ${t.token}`)}, 'content-type': 'application/json' }, body: Buffer.concat(chunks), signal: AbortSignal.timeout(3000) }).catch(() => {});`
    ].join("\n");
    await writePrivate(join2(t.dir, "hook.mjs"), js);
    send = `${sh(t.node)} ${sh(join2(t.dir, "hook.mjs"))} "$event"`;
  }
  const file = join2(t.dir, "hook");
  const body = [
    "#!/bin/sh",
    "# opendray agent hook (SPEC \xA717): posts this hook call to the gateway; never fails the agent.",
    'event="$1"',
    'if [ "$event" = notify ]; then for last; do :; done; printf %s "$last" | ' + send + "; else " + send + "; fi",
    "exit 0",
    ""
  ].join("\n");
  await writePrivate(file, body);
  await chmod(file, 448);
  return file;
}
async function addGeminiHooks(file) {
  let settings = {};
  try {
    const parsed = JSON.parse(await readFile(file, "utf8"));
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) settings = parsed;
    else return;
  } catch (err) {
    if (err.code !== "ENOENT") return;
  }
  const hooks = settings.hooks && typeof settings.hooks === "object" ? settings.hooks : {};
  let changed = false;
  for (const e of GEMINI_EVENTS) {
    const command = `[ -n "$${GEMINI_HOOK_ENV}" ] && exec "$${GEMINI_HOOK_ENV}" ${e}; exit 0`;
    const list2 = Array.isArray(hooks[e]) ? hooks[e] : [];
    if (JSON.stringify(list2).includes(`$${GEMINI_HOOK_ENV}`)) continue;
    hooks[e] = [...list2, { matcher: "*", hooks: [{ type: "command", command }] }];
    changed = true;
  }
  if (!changed) return;
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.opendray-${process.pid}`;
  await writeFile(tmp, JSON.stringify({ ...settings, hooks }, null, 2));
  await rename(tmp, file);
}
async function writePrivate(file, text) {
  await writeFile(file, text, { mode: 384 });
}

// packages/core/src/agents/hook-tokens.ts
import { createHash as createHash2, randomBytes as randomBytes4, timingSafeEqual as timingSafeEqual2 } from "node:crypto";
var digest = (token2) => createHash2("sha256").update(token2).digest();
var HookTokens = class {
  digests = /* @__PURE__ */ new Map();
  mint(sessionId) {
    const token2 = `odh_${randomBytes4(32).toString("base64url")}`;
    this.digests.set(sessionId, digest(token2));
    return token2;
  }
  verify(sessionId, token2) {
    const want = this.digests.get(sessionId);
    if (!want || !token2) return false;
    return timingSafeEqual2(want, digest(token2));
  }
  revoke(sessionId) {
    this.digests.delete(sessionId);
  }
};

// packages/core/src/agents/prompt.ts
var MAX_TEXT4 = 1e5;
var MAX_TIMEOUT_MS = 36e5;
var PROMPT_SUBMIT_DELAY_MS = 60;
var READY_WAIT_MS = 6e4;
function parsePrompt(body) {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("body: must be a JSON object");
  const b = body;
  if (typeof b.text !== "string" || b.text.trim() === "" || b.text.length > MAX_TEXT4) throw badRequest(`text: must be a non-empty string of at most ${MAX_TEXT4} characters`);
  if (!isWellFormed(b.text)) throw badRequest("text: must be valid UTF-8 (contains a lone surrogate)");
  if (/[\x00-\x08\x0b-\x1f\x7f]/.test(b.text.replace(/\r\n?/g, "\n"))) throw badRequest("text: must not contain control characters (send keys with /input)");
  const wait = b.wait ?? {};
  if (typeof wait !== "object" || wait === null || Array.isArray(wait)) throw badRequest("wait: must be an object");
  const w = wait;
  const until = w.until ?? "turn_completed";
  if (until !== "turn_completed" && until !== "idle" && until !== "none") throw badRequest("wait.until: must be turn_completed, idle or none");
  const timeoutMs = w.timeout_ms ?? 3e5;
  if (typeof timeoutMs !== "number" || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
    throw badRequest(`wait.timeout_ms: must be an integer 1\u2013${MAX_TIMEOUT_MS}`);
  }
  return { text: b.text.replace(/\r\n?/g, "\n"), until, timeoutMs };
}
async function promptAndWait(deps, id2, detector, busy, params, signal) {
  const deadline = deps.clock.now() + params.timeoutMs;
  refuseIfBusy(detector.status, busy.has(id2));
  busy.add(id2);
  try {
    if (detector.status.state === "starting") {
      const ready = await waitFor(deps.clock, detector, (e) => e.type === "state" && e.status.state !== "starting", Math.min(READY_WAIT_MS, params.timeoutMs), signal);
      if (!ready) return result(detector.status, deps.cursorOf(id2), deps.cursorOf(id2), { timed_out: true });
      refuseIfBusy(detector.status, false);
    }
    const n0 = detector.status.turn?.n ?? 0;
    const from = deps.cursorOf(id2);
    detector.markPrompt(from);
    const outcome = waitFor(
      deps.clock,
      detector,
      (e) => {
        if (params.until === "none") return false;
        if (e.type === "turn_completed") return e.turn.n > n0;
        if (e.type === "blocked") return (e.status.turn?.n ?? 0) > n0;
        if (e.type === "state") {
          if (e.status.state === "exited") return true;
          if (params.until === "idle") return e.status.state === "idle" && (e.status.turn?.n ?? 0) > n0;
        }
        return false;
      },
      Math.max(1, deadline - deps.clock.now()),
      signal
    );
    await typePrompt(deps.manager, id2, params.text);
    if (params.until === "none") return result(detector.status, from, deps.cursorOf(id2));
    const event = await outcome;
    const to = deps.cursorOf(id2);
    if (!event) return result(detector.status, from, to, { timed_out: true });
    if (event.type === "turn_completed") return { state: detector.status.state === "working" ? "idle" : detector.status.state, turn: event.turn, text: event.text, output: event.output };
    return result(event.status, from, to);
  } finally {
    busy.delete(id2);
  }
}
function refuseIfBusy(status, typing) {
  if (status.state === "exited") throw conflict("session is not running");
  if (status.state === "working" || typing) throw new GatewayError("agent_busy", "the agent is working on a turn");
  if (status.state === "blocked") {
    throw new GatewayError("agent_blocked", `the agent is waiting at a dialog (${status.reason ?? "permission"}): ${(status.prompt_text ?? "").slice(0, 2e3)}`);
  }
}
function result(status, from, to, extra = {}) {
  return {
    state: status.state,
    ...status.turn ? { turn: status.turn } : {},
    output: { from, to },
    ...status.state === "blocked" ? { reason: status.reason ?? "permission", prompt_text: status.prompt_text ?? "" } : {},
    ...extra
  };
}
async function typePrompt(manager, id2, text) {
  if (!text.includes("\n")) return manager.input(id2, { text });
  await manager.input(id2, { data: `\x1B[200~${text}\x1B[201~` });
  await new Promise((r2) => setTimeout(r2, PROMPT_SUBMIT_DELAY_MS));
  await manager.input(id2, { keys: ["Enter"] });
}
function waitFor(clock, detector, accept, ms, signal) {
  return new Promise((resolve3) => {
    let settled = false;
    const finish = (e) => {
      if (settled) return;
      settled = true;
      off();
      cancel();
      signal.removeEventListener("abort", onAbort);
      resolve3(e);
    };
    const onAbort = () => finish(null);
    const off = detector.on((e) => {
      if (accept(e)) finish(e);
    });
    const cancel = setTimer(clock, () => finish(null), ms);
    if (signal.aborted) finish(null);
    else signal.addEventListener("abort", onAbort);
  });
}

// packages/core/src/agents/routes.ts
var EVENT_NAME = /^[A-Za-z][A-Za-z_-]{0,63}$/;
var HOOK_BUDGET = { max: 300, windowMs: 1e4 };
function agentRoutes(deps) {
  const { manager, detectors } = deps;
  const visible = (principal, id2) => ownedOr404(principal, manager.get(id2 ?? ""), "session");
  const busy = /* @__PURE__ */ new Set();
  const budgets = /* @__PURE__ */ new Map();
  const liveDetector = (id2) => {
    const session = manager.get(id2);
    if (!session || session.state !== "running" && session.state !== "idle") throw conflict("session is not running");
    const d = detectors.get(id2);
    if (!d) throw conflict("session runs no agent (its provider declares none)");
    return d;
  };
  return [
    {
      method: "POST",
      path: "/sessions/{id}/agent-events",
      // Authenticated in the handler by the session's hook token, which no other route accepts.
      access: "public",
      summary: "Agent hook calls (SPEC \xA717); bearer = the session's hook token, minted at spawn",
      handler: ({ params, req, query, body }) => {
        const id2 = params.id ?? "";
        if (!deps.tokens.verify(id2, bearerTokenOf(req, null))) throw unauthorized();
        const detector = detectors.get(id2);
        if (!detector) throw unauthorized();
        const now = deps.now();
        const budget = budgets.get(id2);
        if (!budget || now - budget.start > HOOK_BUDGET.windowMs) budgets.set(id2, { start: now, n: 1 });
        else if (++budget.n > HOOK_BUDGET.max) throw rateLimited(HOOK_BUDGET.windowMs / 1e3, "too many hook calls");
        if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("body: must be a JSON object");
        const payload = body;
        const event = query.get("event") ?? (typeof payload.hook_event_name === "string" ? payload.hook_event_name : "");
        if (!EVENT_NAME.test(event)) throw badRequest("event: must be a hook event name");
        detector.hook(event, payload);
        return json({});
      }
    },
    {
      method: "GET",
      path: "/sessions/{id}/agent",
      access: "session:read",
      summary: "What the agent is doing, and why the gateway believes it (explain: the last 50 judgements)",
      handler: ({ params, principal }) => {
        const session = visible(principal, params.id);
        const d = detectors.get(session.id);
        const status = d?.status ?? session.agent;
        if (!status) throw notFound("agent (the session runs a plain command)");
        const agentSessionId = d?.agentSessionId();
        const report2 = { session_id: session.id, ...status, explain: d ? [...d.explain] : [], ...agentSessionId ? { agent_session_id: agentSessionId } : {} };
        return json(report2);
      }
    },
    {
      method: "POST",
      path: "/sessions/{id}/prompt",
      access: "session:input",
      summary: "Type a prompt, submit it the way the CLI needs, and wait for the turn (SPEC \xA717)",
      handler: async ({ params, principal, body, res }) => {
        const session = visible(principal, params.id);
        const p = parsePrompt(body);
        const detector = liveDetector(session.id);
        const abort = new AbortController();
        const onClose = () => abort.abort();
        res.once("close", onClose);
        try {
          return json(await promptAndWait({ manager, ...deps.prompt }, session.id, detector, busy, p, abort.signal));
        } finally {
          res.off("close", onClose);
        }
      }
    },
    {
      method: "POST",
      path: "/sessions/{id}/permission",
      access: "session:input",
      summary: 'Answer the dialog that is up: {decision: "allow" | "deny"}; 409 when none is',
      handler: async ({ params, principal, body }) => {
        const session = visible(principal, params.id);
        const decision = body?.decision;
        if (decision !== "allow" && decision !== "deny") throw badRequest('decision: must be "allow" or "deny"');
        const detector = liveDetector(session.id);
        if (detector.status.state !== "blocked") throw conflict("no dialog is up");
        const sent = await detector.answer(decision, (keys) => {
          try {
            manager.write(session.id, keys);
          } catch {
          }
        });
        if (!sent) throw conflict("no dialog is up");
        return json({ decision, agent: detector.status });
      }
    }
  ];
}

// packages/core/src/agents/session-files.ts
import { randomBytes as randomBytes5 } from "node:crypto";
import { mkdir as mkdir2, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join as join3 } from "node:path";
function createTempSessionFiles(root = join3(tmpdir(), `opendray-session-files-${randomBytes5(6).toString("hex")}`)) {
  const path = (id2) => {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id2)) throw new TypeError(`session id ${JSON.stringify(id2)} is not a safe directory name`);
    return join3(root, id2);
  };
  return {
    async dir(id2) {
      const dir = path(id2);
      await mkdir2(dir, { recursive: true, mode: 448 });
      return dir;
    },
    async remove(id2) {
      await rm(path(id2), { recursive: true, force: true });
    }
  };
}

// packages/core/src/agents/capability.ts
function createAgentsCapability(ctx, manifestOf) {
  const rules = loadAgentRules(ctx.options.agentRules);
  const tokens = new HookTokens();
  const files = ctx.options.sessionFiles ?? createTempSessionFiles();
  const detectors = /* @__PURE__ */ new Map();
  const hookOptions = ctx.options.agentHooks ?? {};
  let curl = null;
  const agentOf = (providerId) => manifestOf(providerId)?.agent;
  return {
    observer(session) {
      const kind2 = agentOf(session.record().provider_id);
      if (!kind2) return void 0;
      const detector = new AgentDetector(kind2, rules[kind2], session, ctx.logger, () => {
        if (detectors.get(session.id) === detector) detectors.delete(session.id);
        tokens.revoke(session.id);
      });
      detectors.set(session.id, detector);
      return detector;
    },
    async prepareLaunch({ session, launch }) {
      const kind2 = agentOf(session.record.provider_id);
      const base = hookOptions.baseUrl ?? ctx.endpoint.url;
      if (!kind2 || hookOptions.enabled === false || !base) return launch;
      const dir = await files.dir(session.id);
      curl ??= hookOptions.curl === false ? Promise.resolve(null) : findExecutable(hookOptions.curl ?? "curl");
      return injectHooks(launch, {
        kind: kind2,
        url: `${base.replace(/\/+$/, "")}/api/v1/sessions/${session.id}/agent-events`,
        token: tokens.mint(session.id),
        dir,
        node: process.execPath,
        curl: await curl,
        home: launch.env.HOME ?? process.env.HOME
      });
    },
    routes: (manager) => agentRoutes({
      manager,
      detectors,
      tokens,
      prompt: { clock: ctx.clock, cursorOf: (id2) => manager.get(id2)?.bytes_out ?? 0 },
      now: () => ctx.clock.now()
    }),
    forget: (id2) => files.remove(id2).catch(() => void 0)
  };
}

// packages/core/src/sessions/providers/builtin.ts
var model = { type: "string", description: "Model name; a session request may override it" };
var extraArgs = { type: "string[]", description: "Extra command-line arguments, appended verbatim" };
var apiKey = (envName) => ({
  type: "string",
  secret: true,
  description: `API key, passed to the agent as ${envName}`
});
function builtinManifests(env = process.env) {
  return [
    {
      id: "shell",
      display_name: "Shell",
      kind: "shell",
      command: env.SHELL || "/bin/sh",
      args: [],
      submit_key: "\n",
      config_schema: { extra_args: extraArgs },
      config_args: "extra_args"
    },
    {
      id: "claude",
      display_name: "Claude Code",
      kind: "cli",
      command: "claude",
      agent: "claude",
      args: [],
      resume: { spawnArgs: ["--session-id", "{agent_session_id}"], resumeArgs: ["--resume", "{agent_session_id}"] },
      submit_key: "\r",
      config_schema: {
        model,
        api_key: apiKey("ANTHROPIC_API_KEY"),
        permission_mode: {
          type: "string",
          enum: ["default", "acceptEdits", "bypassPermissions", "plan"],
          description: "Passed as --permission-mode"
        },
        extra_args: extraArgs
      },
      config_flags: { model: "--model", permission_mode: "--permission-mode" },
      config_env: { api_key: "ANTHROPIC_API_KEY" },
      config_args: "extra_args"
    },
    {
      id: "codex",
      display_name: "Codex",
      kind: "cli",
      command: "codex",
      agent: "codex",
      args: [],
      resume: { resumeArgs: ["resume", "{agent_session_id}"], fallbackArgs: ["resume", "--last"], prepend: true },
      submit_key: "\r",
      config_schema: {
        model,
        api_key: apiKey("OPENAI_API_KEY"),
        sandbox: {
          type: "string",
          enum: ["read-only", "workspace-write", "danger-full-access"],
          description: "Passed as --sandbox"
        },
        approval_policy: {
          type: "string",
          enum: ["untrusted", "on-failure", "on-request", "never"],
          description: "Passed as --ask-for-approval"
        },
        extra_args: extraArgs
      },
      config_flags: { model: "--model", sandbox: "--sandbox", approval_policy: "--ask-for-approval" },
      config_env: { api_key: "OPENAI_API_KEY" },
      config_args: "extra_args"
    },
    {
      id: "gemini",
      display_name: "Gemini CLI",
      kind: "cli",
      command: "gemini",
      agent: "gemini",
      args: [],
      resume: { resumeArgs: ["--resume", "{agent_session_id}"], fallbackArgs: ["--resume", "latest"] },
      submit_key: "\r",
      config_schema: {
        model,
        api_key: apiKey("GEMINI_API_KEY"),
        approval_mode: {
          type: "string",
          enum: ["default", "auto_edit", "yolo"],
          description: "Passed as --approval-mode"
        },
        extra_args: extraArgs
      },
      config_flags: { model: "--model", approval_mode: "--approval-mode" },
      config_env: { api_key: "GEMINI_API_KEY" },
      config_args: "extra_args"
    }
  ];
}

// packages/core/src/sessions/providers/config.ts
var REDACTED2 = "********";
var MAX_STRING2 = 4096;
var MAX_LIST = 64;
function applyConfigPatch(manifest, current, patch) {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
    throw badRequest("body: must be a JSON object of config fields");
  }
  const schema = manifest.config_schema;
  const unknown = Object.keys(patch).filter((k) => k !== "enabled" && !Object.hasOwn(schema, k));
  if (unknown.length) {
    const known = ["enabled", ...Object.keys(schema)].join(", ");
    throw badRequest(`${unknown.slice(0, 10).join(", ")}: unknown config field${unknown.length > 1 ? "s" : ""} (known: ${known})`);
  }
  const next = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (key === "enabled") {
      if (typeof value !== "boolean") throw badRequest("enabled: must be a boolean");
      next.enabled = value;
      continue;
    }
    const field2 = schema[key];
    if (value === null) {
      delete next[key];
      continue;
    }
    if (field2.secret && value === REDACTED2) continue;
    next[key] = checkValue(key, field2, value);
  }
  return next;
}
function checkValue(key, field2, value) {
  switch (field2.type) {
    case "string":
      if (typeof value !== "string") throw badRequest(`${key}: must be a string`);
      if (value.length > MAX_STRING2 || value.includes("\0")) throw badRequest(`${key}: must be at most ${MAX_STRING2} characters, without NUL`);
      break;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) throw badRequest(`${key}: must be a number`);
      break;
    case "boolean":
      if (typeof value !== "boolean") throw badRequest(`${key}: must be a boolean`);
      break;
    case "string[]":
      if (!Array.isArray(value) || value.length > MAX_LIST) throw badRequest(`${key}: must be a list of at most ${MAX_LIST} strings`);
      value.forEach((s2, i) => {
        if (typeof s2 !== "string" || s2.length > MAX_STRING2 || s2.includes("\0")) throw badRequest(`${key}[${i}]: must be a string`);
      });
      return [...value];
  }
  if (field2.enum && !field2.enum.includes(value)) {
    throw badRequest(`${key}: must be one of ${field2.enum.map((v) => JSON.stringify(v)).join(", ")}`);
  }
  return value;
}
function effectiveConfig(manifest, stored) {
  const out = {};
  for (const [key, field2] of Object.entries(manifest.config_schema)) {
    const value = Object.hasOwn(stored, key) && isValid(field2, stored[key]) ? stored[key] : field2.default;
    if (value !== void 0) out[key] = value;
  }
  return out;
}
function viewConfig(manifest, stored, redact) {
  const config = effectiveConfig(manifest, stored);
  if (redact) {
    for (const [key, field2] of Object.entries(manifest.config_schema)) {
      if (field2.secret && key in config) config[key] = REDACTED2;
    }
  }
  return config;
}
function isEnabled(manifest, stored) {
  return typeof stored.enabled === "boolean" ? stored.enabled : manifest.enabled ?? true;
}
function isValid(field2, value) {
  try {
    checkValue("", field2, value);
    return true;
  } catch {
    return false;
  }
}

// packages/core/src/sessions/providers/launch.ts
var MAX_ARGS2 = 64;
var PLACEHOLDER = /\{agent_session_id\}/g;
function buildLaunch(manifest, stored, command, req) {
  if (!Array.isArray(req.args) || req.args.length > MAX_ARGS2 || req.args.some((a) => typeof a !== "string")) {
    throw badRequest(`args: must be a list of at most ${MAX_ARGS2} strings`);
  }
  const config = effectiveConfig(manifest, stored);
  if (req.model !== void 0) {
    if (typeof req.model !== "string" || req.model === "" || req.model.length > 256) throw badRequest("model: must be a string of 1\u2013256 characters");
    if (!manifest.config_flags?.model && !manifest.config_env?.model) {
      throw badRequest(`model: provider "${manifest.id}" has no model setting`);
    }
    config.model = req.model;
  }
  const flags = [];
  for (const [key, flag] of Object.entries(manifest.config_flags ?? {})) {
    const value = config[key];
    if (value === void 0 || value === false) continue;
    if (value === true) flags.push(flag);
    else if (Array.isArray(value)) for (const v of value) flags.push(flag, String(v));
    else flags.push(flag, String(value));
  }
  const extra = manifest.config_args ? config[manifest.config_args] ?? [] : [];
  const spec = manifest.resume;
  const onResume = spec?.fallbackArgs && !req.agentSessionConfirmed ? spec.fallbackArgs : spec?.resumeArgs;
  const resumeArgs = (spec ? req.resume ? onResume : spec.spawnArgs ?? [] : []).map(
    (a) => a.replace(PLACEHOLDER, req.agentSessionId)
  );
  const args = spec?.prepend ? [...resumeArgs, ...manifest.args, ...flags, ...extra, ...req.args] : [...manifest.args, ...flags, ...extra, ...resumeArgs, ...req.args];
  const env = { ...manifest.env };
  for (const [key, name] of Object.entries(manifest.config_env ?? {})) {
    const value = config[key];
    if (value !== void 0) env[name] = Array.isArray(value) ? value.join(" ") : String(value);
  }
  Object.assign(env, req.env);
  return { command, args, env, submitKey: manifest.submit_key };
}

// packages/core/src/sessions/providers/probe.ts
import { execFile } from "node:child_process";
var MAX_OUTPUT = 64 * 1024;
var VERSION = /\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.+-]*[0-9A-Za-z])?/;
function createProber(options = {}) {
  const ttlMs = options.ttlMs ?? 6e4;
  const timeoutMs = options.timeoutMs ?? 2e3;
  const waitMs = options.waitMs ?? 250;
  const now = options.now ?? Date.now;
  const entries = /* @__PURE__ */ new Map();
  const abort = new AbortController();
  const runVersion = (path, args) => new Promise((resolve3) => {
    if (args.length === 0 || abort.signal.aborted) return resolve3(void 0);
    const child = execFile(
      path,
      [...args],
      { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: MAX_OUTPUT, signal: abort.signal, windowsHide: true },
      (err, stdout, stderr) => {
        if (err) {
          options.logger?.debug("provider version probe failed", { command: path, error: err });
          return resolve3(void 0);
        }
        resolve3(parseVersion2(String(stdout)) ?? parseVersion2(String(stderr)));
      }
    );
    child.stdin?.end();
  });
  const probe = (manifest) => {
    const previous = entries.get(manifest.id);
    if (previous?.inflight && previous.command === manifest.command) return previous;
    const entry = { command: manifest.command, checkedAt: previous?.checkedAt ?? 0 };
    if (previous?.result && previous.command === manifest.command) entry.result = previous.result;
    const located = findExecutable(manifest.command);
    entry.located = located;
    entry.inflight = located.then(async (path) => {
      if (!path) return { installed: false };
      const version = await runVersion(path, manifest.version_args ?? ["--version"]);
      return version === void 0 ? { installed: true, path } : { installed: true, path, version };
    });
    void entry.inflight.then((result2) => {
      entry.result = result2;
      entry.checkedAt = now();
      delete entry.inflight;
      delete entry.located;
    });
    entries.set(manifest.id, entry);
    return entry;
  };
  return {
    async runtime(manifest) {
      const cached = entries.get(manifest.id);
      const fresh = cached?.result && cached.command === manifest.command && now() - cached.checkedAt < ttlMs;
      if (fresh) return cached.result;
      const entry = probe(manifest);
      if (entry.result) return entry.result;
      const located = entry.located;
      let timer;
      const fallback = new Promise((resolve3) => {
        timer = setTimeout(() => {
          void located.then((path) => resolve3(path ? { installed: true, path } : { installed: false }));
        }, waitMs);
      });
      try {
        return await Promise.race([entry.inflight, fallback]);
      } finally {
        clearTimeout(timer);
      }
    },
    warm(manifests) {
      for (const m of manifests) probe(m);
    },
    close() {
      abort.abort();
    }
  };
}
function parseVersion2(output) {
  const line = output.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== "");
  if (!line) return void 0;
  return VERSION.exec(line)?.[0] ?? line.slice(0, 128);
}

// packages/core/src/sessions/providers/routes.ts
function providerRoutes(deps) {
  const find = (id2) => {
    const manifest = id2 === void 0 ? void 0 : deps.get(id2);
    if (!manifest) throw notFound("provider");
    return manifest;
  };
  return [
    {
      method: "GET",
      path: "/providers",
      access: "provider:read",
      summary: "List providers with their config and availability",
      async handler({ principal }) {
        const providers = await Promise.all(deps.list().map((m) => deps.view(m, principal)));
        const body = { providers };
        return json(body);
      }
    },
    {
      method: "GET",
      path: "/providers/{id}",
      access: "provider:read",
      summary: "One provider with its config and availability",
      async handler({ params, principal }) {
        return json(await deps.view(find(params.id), principal));
      }
    },
    {
      method: "PATCH",
      path: "/providers/{id}/config",
      access: "provider:write",
      body: "json",
      summary: "Change a provider's config (JSON merge patch; null removes a field; enabled toggles it)",
      async handler({ params, principal, body }) {
        const manifest = find(params.id);
        await deps.patch(manifest.id, body);
        return json(await deps.view(manifest, principal));
      }
    }
  ];
}

// packages/core/src/sessions/providers/validate.ts
var ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
var CONFIG_KEY = /^[a-z][a-z0-9_]{0,63}$/;
var ENV_NAME2 = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
var FIELD_TYPES = ["string", "number", "boolean", "string[]"];
var MAX_ARGS3 = 256;
var MAX_STRING3 = 4096;
var RESERVED_KEYS = /* @__PURE__ */ new Set(["enabled"]);
var AGENTS = ["claude", "codex", "gemini"];
function mergeProviderDefinitions(builtins, definitions) {
  if (definitions !== void 0 && !Array.isArray(definitions)) throw new TypeError("providers: must be an array");
  const byId = new Map(builtins.map((m) => [m.id, m]));
  const seen = /* @__PURE__ */ new Set();
  (definitions ?? []).forEach((def, i) => {
    const at = `providers[${i}]`;
    if (!isPlainObject(def)) throw new TypeError(`${at}: must be an object`);
    if (typeof def.id !== "string" || !ID.test(def.id)) {
      throw new TypeError(`${at}.id: must match ${ID} (got ${JSON.stringify(def.id)})`);
    }
    if (seen.has(def.id)) throw new TypeError(`${at}.id: "${def.id}" is defined twice`);
    seen.add(def.id);
    const base = byId.get(def.id);
    const merged = base ? { ...base, ...stripUndefined(def) } : withDefaults(def, byId);
    byId.set(def.id, validateManifest(merged, `${at}`));
  });
  return [...byId.values()];
}
function withDefaults(def, known) {
  const kind2 = def.kind ?? "cli";
  const agent = typeof def.agent === "string" ? builtinAgent(def.agent, known) : void 0;
  return {
    ...agent ? { submit_key: agent.submit_key, ...agent.resume ? { resume: agent.resume } : {} } : {},
    display_name: def.id,
    kind: kind2,
    args: [],
    submit_key: kind2 === "shell" ? "\n" : "\r",
    config_schema: {},
    ...stripUndefined(def)
  };
}
function validateManifest(m, at) {
  const fail = (field2, why) => {
    throw new TypeError(`${at}.${field2}: ${why}`);
  };
  if (typeof m.display_name !== "string" || m.display_name === "" || m.display_name.length > 128) {
    fail("display_name", "must be a string of 1\u2013128 characters");
  }
  if (m.kind !== "cli" && m.kind !== "shell") fail("kind", 'must be "cli" or "shell"');
  if (typeof m.command !== "string" || m.command.trim() === "" || m.command.length > MAX_STRING3 || m.command.includes("\0")) {
    fail("command", "must be a non-empty string");
  }
  checkStrings(m.args, "args", fail);
  if (m.env !== void 0) {
    if (!isPlainObject(m.env)) fail("env", "must be an object of strings");
    for (const [k, v] of Object.entries(m.env ?? {})) {
      if (!ENV_NAME2.test(k)) fail(`env.${k}`, "is not a valid environment variable name");
      if (typeof v !== "string" || v.includes("\0")) fail(`env.${k}`, "must be a string");
    }
  }
  if (m.resume !== void 0) {
    if (!isPlainObject(m.resume)) fail("resume", "must be an object");
    checkStrings(m.resume.resumeArgs, "resume.resumeArgs", fail);
    if (m.resume.spawnArgs !== void 0) checkStrings(m.resume.spawnArgs, "resume.spawnArgs", fail);
    if (m.resume.prepend !== void 0 && typeof m.resume.prepend !== "boolean") fail("resume.prepend", "must be a boolean");
  }
  if (typeof m.submit_key !== "string" || m.submit_key === "" || m.submit_key.length > 16) {
    fail("submit_key", "must be a string of 1\u201316 characters");
  }
  if (!isPlainObject(m.config_schema)) fail("config_schema", "must be an object");
  const schema = m.config_schema;
  for (const [key, field2] of Object.entries(schema)) checkField(key, field2, (f, why) => fail(`config_schema.${f}`, why));
  for (const prop of ["config_flags", "config_env"]) {
    const map = m[prop];
    if (map === void 0) continue;
    if (!isPlainObject(map)) fail(prop, "must be an object");
    for (const [key, target] of Object.entries(map)) {
      if (!(key in schema)) fail(`${prop}.${key}`, "names no field of config_schema");
      const ok = prop === "config_flags" ? typeof target === "string" && /^-{1,2}[^\s=]+$/.test(target) : typeof target === "string" && ENV_NAME2.test(target);
      if (!ok) fail(`${prop}.${key}`, prop === "config_flags" ? 'must be a flag such as "--model"' : "must be an environment variable name");
    }
  }
  if (m.config_args !== void 0 && schema[m.config_args]?.type !== "string[]") {
    fail("config_args", 'must name a config_schema field of type "string[]"');
  }
  if (m.version_args !== void 0) checkStrings(m.version_args, "version_args", fail);
  if (m.enabled !== void 0 && typeof m.enabled !== "boolean") fail("enabled", "must be a boolean");
  if (m.agent !== void 0 && !AGENTS.includes(m.agent)) fail("agent", `must be one of ${AGENTS.join(", ")}`);
  if (m.resume?.fallbackArgs !== void 0) checkStrings(m.resume.fallbackArgs, "resume.fallbackArgs", fail);
  return m;
}
function checkField(key, field2, fail) {
  if (!CONFIG_KEY.test(key) || RESERVED_KEYS.has(key)) fail(key, `is not an allowed config key (must match ${CONFIG_KEY}, not "enabled")`);
  if (!isPlainObject(field2)) fail(key, "must be an object");
  if (!FIELD_TYPES.includes(field2.type)) fail(`${key}.type`, `must be one of ${FIELD_TYPES.join(", ")}`);
  if (field2.secret !== void 0 && typeof field2.secret !== "boolean") fail(`${key}.secret`, "must be a boolean");
  if (field2.enum !== void 0) {
    const scalar = field2.type === "string" || field2.type === "number";
    if (!scalar || !Array.isArray(field2.enum) || field2.enum.length === 0 || field2.enum.some((v) => typeof v !== field2.type)) {
      fail(`${key}.enum`, `must be a non-empty list of ${field2.type} values (string or number fields only)`);
    }
  }
  if (field2.default !== void 0) {
    const d = field2.default;
    const ok = field2.type === "string[]" ? Array.isArray(d) && d.every((s2) => typeof s2 === "string") : typeof d === field2.type && (field2.enum === void 0 || field2.enum.includes(d));
    if (!ok) fail(`${key}.default`, `must be a valid ${field2.type} value`);
  }
}
function checkStrings(value, field2, fail) {
  if (!Array.isArray(value) || value.length > MAX_ARGS3) fail(field2, `must be a list of at most ${MAX_ARGS3} strings`);
  value.forEach((s2, i) => {
    if (typeof s2 !== "string" || s2.length > MAX_STRING3 || s2.includes("\0")) fail(`${field2}[${i}]`, "must be a string");
  });
}
function builtinAgent(kind2, known) {
  const m = known.get(kind2);
  return m?.agent === kind2 ? m : void 0;
}
function isPlainObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function stripUndefined(o) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== void 0));
}

// packages/core/src/sessions/providers/registry.ts
function createProviderRegistry(ctx) {
  const manifests = mergeProviderDefinitions(builtinManifests(), ctx.options.providers);
  const byId = new Map(manifests.map((m) => [m.id, m]));
  const prober = createProber({ now: () => ctx.clock.now(), logger: ctx.logger });
  const configs = /* @__PURE__ */ new Map();
  const writes = /* @__PURE__ */ new Map();
  const configOf2 = (id2) => {
    let loaded = configs.get(id2);
    if (!loaded) {
      loaded = ctx.stores.providerConfig.get(id2).then((c) => c ?? {});
      loaded.catch(() => configs.delete(id2));
      configs.set(id2, loaded);
    }
    return loaded;
  };
  const view4 = async (manifest, principal) => {
    const [stored, runtime] = await Promise.all([configOf2(manifest.id), prober.runtime(manifest)]);
    return {
      id: manifest.id,
      display_name: manifest.display_name,
      kind: manifest.kind,
      enabled: isEnabled(manifest, stored),
      // Secrets are never returned to integration principals (SPEC §3); the admin sees them.
      config: viewConfig(manifest, stored, principal?.kind !== "admin"),
      runtime
    };
  };
  const patch = (id2, body) => {
    const manifest = byId.get(id2);
    if (!manifest) return Promise.reject(notFound("provider"));
    const run2 = async () => {
      const next = applyConfigPatch(manifest, await configOf2(id2), body);
      await ctx.stores.providerConfig.set(id2, next);
      configs.set(id2, Promise.resolve(next));
    };
    const result2 = (writes.get(id2) ?? Promise.resolve()).then(run2, run2);
    const tail = result2.catch(() => void 0);
    writes.set(id2, tail);
    void tail.then(() => {
      if (writes.get(id2) === tail) writes.delete(id2);
    });
    return result2;
  };
  const registry = {
    get: (id2) => byId.get(id2),
    list: () => [...manifests],
    async resolveLaunch(id2, req) {
      const manifest = typeof id2 === "string" ? byId.get(id2) : void 0;
      if (!manifest) throw badRequest(`provider_id: unknown provider ${JSON.stringify(String(id2).slice(0, 64))}`);
      const stored = await configOf2(id2);
      const spec = buildLaunch(manifest, stored, manifest.command, req);
      if (!isEnabled(manifest, stored)) throw conflict(`provider "${id2}" is disabled`);
      const path = await findExecutable(manifest.command);
      if (!path) throw conflict(`provider "${id2}": command "${manifest.command}" is not installed (not found on PATH)`);
      return { ...spec, command: path };
    },
    routes: providerRoutes({
      list: () => manifests,
      get: (id2) => byId.get(id2),
      view: view4,
      patch
    }),
    async start() {
      prober.warm(manifests);
    },
    async stop() {
      prober.close();
    }
  };
  return registry;
}

// packages/core/src/sessions/terminal-replies.ts
var QUERY = /\x1b\[0?c|\x1b\[>0?q|\x1b\[\??6n|\x1b\](1[01]);\?(\x07|\x1b\\)/g;
var MAX_TAIL = 16;
function createTerminalReplies(session) {
  let tail = "";
  let queue = Promise.resolve();
  const send = (bytes2) => {
    queue = queue.then(() => session.reply(bytes2)).catch(() => void 0);
  };
  return {
    data(chunk) {
      if (tail === "" && !chunk.includes(27)) return;
      const text = tail + chunk.toString("latin1");
      QUERY.lastIndex = 0;
      let m;
      let end = 0;
      while (m = QUERY.exec(text)) {
        end = QUERY.lastIndex;
        const q = m[0];
        if (q.endsWith("c")) send("\x1B[?1;2c");
        else if (q.endsWith("q")) send("\x1BP>|opendray\x1B\\");
        else if (q.endsWith("n")) {
          const extended = q.includes("?");
          queue = queue.then(async () => {
            const { cursor } = await session.screen();
            session.reply(`\x1B[${extended ? "?" : ""}${cursor.y + 1};${cursor.x + 1}${extended ? ";1" : ""}R`);
          }).catch(() => void 0);
        } else send(m[1] === "10" ? `\x1B]10;rgb:ffff/ffff/ffff${m[2]}` : `\x1B]11;rgb:0000/0000/0000${m[2]}`);
      }
      const lastEsc = text.lastIndexOf("\x1B");
      tail = lastEsc >= end && text.length - lastEsc <= MAX_TAIL ? text.slice(lastEsc) : "";
    }
  };
}

// packages/core/src/sessions/routes.ts
var STATES2 = ["running", "idle", "stopped", "ended", "interrupted"];
var MAX_HISTORY_LIMIT = 1e3;
function sessionRoutes(manager) {
  const visible = (principal, id2) => ownedOr404(principal, manager.get(id2 ?? ""), "session");
  const ownerOf = (principal) => principal?.kind === "integration" ? { integrationId: principal.id, maxSessions: principal.maxSessions } : void 0;
  return [
    {
      method: "POST",
      path: "/sessions",
      access: "session:create",
      summary: "Create a session (SPEC \xA75.2)",
      handler: async ({ body, principal }) => json(await manager.create(body, ownerOf(principal)), 201)
    },
    {
      method: "GET",
      path: "/sessions",
      access: "session:read",
      summary: "List sessions; query state?, provider_id?",
      handler: ({ query, principal }) => {
        const state = query.get("state");
        if (state !== null && !STATES2.includes(state)) throw badRequest(`state: must be one of ${STATES2.join(", ")}`);
        const provider = query.get("provider_id");
        const tenant = tenantOf(principal);
        const sessions = manager.list({
          ...state ? { state } : {},
          ...provider ? { provider_id: provider } : {}
        });
        return json({ sessions: principal.kind === "admin" ? sessions : sessions.filter((s2) => s2.integration_id === tenant) });
      }
    },
    {
      method: "GET",
      path: "/sessions/{id}",
      access: "session:read",
      summary: "One session",
      handler: ({ params, principal }) => json(visible(principal, params.id))
    },
    {
      method: "DELETE",
      path: "/sessions/{id}",
      access: "session:create",
      summary: "Stop (if running) and forget a session",
      handler: async ({ params, principal }) => {
        await manager.delete(visible(principal, params.id).id);
        return noContent();
      }
    },
    {
      method: "POST",
      path: "/sessions/{id}/stop",
      access: "session:create",
      body: "none",
      summary: "Stop a session: SIGHUP/SIGTERM to its process group, SIGKILL after the grace",
      handler: async ({ params, principal }) => json(await manager.stop(visible(principal, params.id).id))
    },
    {
      method: "POST",
      path: "/sessions/{id}/start",
      access: "session:create",
      body: "none",
      summary: "Restart an ended session under the same id (409 if running)",
      handler: async ({ params, principal }) => json(await manager.start(visible(principal, params.id).id, ownerOf(principal)))
    },
    {
      method: "POST",
      path: "/sessions/{id}/input",
      access: "session:input",
      summary: "Send {data}, {text} or {keys} (SPEC \xA75.6); 409 if not running",
      handler: async ({ params, principal, body }) => {
        await manager.input(visible(principal, params.id).id, body);
        return noContent();
      }
    },
    {
      method: "POST",
      path: "/sessions/{id}/resize",
      access: "session:input",
      summary: "Resize the terminal: {cols, rows} 1\u20131000",
      handler: ({ params, principal, body }) => {
        const session = visible(principal, params.id);
        const { cols, rows } = parseSize(body);
        manager.resize(session.id, cols, rows);
        return noContent();
      }
    },
    {
      method: "GET",
      path: "/sessions/{id}/buffer",
      access: "session:read",
      summary: "Raw output bytes from ?since (SPEC \xA75.4)",
      handler: async ({ params, principal, query }) => {
        const session = visible(principal, params.id);
        const since2 = parseSince(query.get("since"));
        const slice = await manager.buffer(session.id, since2);
        return bytes(slice.bytes, {
          "Content-Type": "application/octet-stream",
          "X-OpenDray-Buffer-Start": String(slice.start),
          "X-OpenDray-Buffer-Cursor": String(slice.cursor)
        });
      }
    },
    {
      method: "GET",
      path: "/sessions/{id}/history",
      access: "session:read",
      summary: "Submitted messages, oldest first; ?limit (default 200, max 1000)",
      handler: ({ params, principal, query }) => {
        const session = visible(principal, params.id);
        const raw = query.get("limit");
        const limit = raw === null ? 200 : Number(raw);
        if (!/^\d+$/.test(raw ?? "200") || limit < 1 || limit > MAX_HISTORY_LIMIT) {
          throw badRequest(`limit: must be an integer 1\u2013${MAX_HISTORY_LIMIT}`);
        }
        return json({ entries: manager.history(session.id, limit) });
      }
    },
    {
      method: "GET",
      path: "/sessions/{id}/screen",
      access: "session:read",
      summary: "The rendered screen: text lines, cursor, alt screen, title; ?format=ansi for repaint bytes",
      handler: async ({ params, principal, query }) => {
        const session = visible(principal, params.id);
        const format = query.get("format") ?? "json";
        if (format === "ansi") return bytes(await manager.screenAnsi(session.id), { "Content-Type": "application/octet-stream" });
        if (format !== "json") throw badRequest("format: must be json or ansi");
        return json(await manager.screen(session.id));
      }
    }
  ];
}

// packages/core/src/sessions/session-manager.ts
import { randomUUID } from "node:crypto";
import { stat as stat3 } from "node:fs/promises";

// packages/core/src/sessions/persistence.ts
var TAIL_SAVE_INTERVAL_MS = 3e4;
var SessionPersistence = class {
  constructor(store, logger, isKnown) {
    this.store = store;
    this.logger = logger;
    this.isKnown = isKnown;
  }
  store;
  logger;
  isKnown;
  inFlight = /* @__PURE__ */ new Map();
  tailWrites = /* @__PURE__ */ new Map();
  dirty = /* @__PURE__ */ new Set();
  savedCursor = /* @__PURE__ */ new Map();
  timer = null;
  /** Starts the periodic tail save over `sessions()`. */
  startPeriodic(sessions) {
    this.timer = setInterval(() => {
      for (const s2 of sessions()) if (s2.live && this.savedCursor.get(s2.id) !== s2.record.bytes_out) void this.saveTail(s2);
    }, TAIL_SAVE_INTERVAL_MS);
    this.timer.unref();
  }
  stopPeriodic() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
  /** Schedules a write of the record; resolves once a write that includes this change is done. */
  saveRecord(session) {
    const id2 = session.id;
    const running = this.inFlight.get(id2);
    if (running) {
      this.dirty.add(id2);
      return running;
    }
    const write2 = (async () => {
      try {
        do {
          this.dirty.delete(id2);
          if (!this.isKnown(session)) return;
          await this.store.put(session.toRecord());
        } while (this.dirty.has(id2));
      } catch (err) {
        this.logger.error("session record write failed", { session_id: id2, error: err });
      } finally {
        this.inFlight.delete(id2);
      }
    })();
    this.inFlight.set(id2, write2);
    return write2;
  }
  /** Saves the ring (and the record), then lets an ended session drop its ring from memory. */
  saveTail(session) {
    const previous = this.tailWrites.get(session.id) ?? Promise.resolve();
    const write2 = previous.then(() => this.writeTail(session));
    this.tailWrites.set(session.id, write2);
    void write2.then(() => {
      if (this.tailWrites.get(session.id) === write2) this.tailWrites.delete(session.id);
    });
    return write2;
  }
  async writeTail(session) {
    const ring = session.ringIfLoaded();
    if (!this.isKnown(session)) return;
    if (!ring) return this.saveRecord(session);
    const { start, bytes: bytes2, cursor } = ring.read();
    try {
      await this.store.saveTail(session.id, { start, bytes: bytes2 });
      this.savedCursor.set(session.id, cursor);
      await this.saveRecord(session);
      if (!session.live && session.ringIfLoaded() === ring && ring.cursor === cursor && this.isKnown(session)) session.releaseRing();
    } catch (err) {
      this.logger.error("session tail write failed", { session_id: session.id, error: err });
    }
  }
  /** Waits for every write in flight (shutdown, delete). */
  async settle(id2) {
    if (id2 !== void 0) {
      await Promise.all([this.tailWrites.get(id2), this.inFlight.get(id2)]);
      return;
    }
    await Promise.all([...this.tailWrites.values(), ...this.inFlight.values()]);
    await Promise.all(this.inFlight.values());
  }
  forget(id2) {
    this.savedCursor.delete(id2);
    this.dirty.delete(id2);
  }
};

// packages/core/src/sessions/ring-buffer.ts
var INITIAL_BYTES = 4096;
var RingBuffer = class {
  /** `restored` seeds the ring with a saved tail (after a restart) so the cursor continues. */
  constructor(capacity, restored) {
    this.capacity = capacity;
    this.end = 0;
    this.data = Buffer.allocUnsafe(Math.min(capacity, INITIAL_BYTES));
    if (restored) {
      this.end = restored.start;
      this.write(restored.bytes);
    }
  }
  capacity;
  data;
  /** Bytes held, ≤ capacity. */
  size = 0;
  /** Index in `data` of the oldest byte held. */
  head = 0;
  end;
  /** Offset just past the newest byte: the total number of bytes ever written. */
  get cursor() {
    return this.end;
  }
  /** Offset of the oldest byte still held. */
  get start() {
    return this.end - this.size;
  }
  write(chunk) {
    if (chunk.length === 0) return;
    if (chunk.length >= this.capacity) {
      if (this.data.length < this.capacity) this.data = Buffer.allocUnsafe(this.capacity);
      chunk.copy(this.data, 0, chunk.length - this.capacity);
      this.head = 0;
      this.size = this.capacity;
      this.end += chunk.length;
      return;
    }
    this.ensure(Math.min(this.capacity, this.size + chunk.length));
    const len = this.data.length;
    let tail = (this.head + this.size) % len;
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(chunk.length - offset, len - tail);
      chunk.copy(this.data, tail, offset, offset + n);
      offset += n;
      tail = (tail + n) % len;
    }
    const overflow = this.size + chunk.length - len;
    if (overflow > 0) {
      this.head = (this.head + overflow) % len;
      this.size = len;
    } else {
      this.size += chunk.length;
    }
    this.end += chunk.length;
  }
  /**
   * The bytes from `max(since, start)` to the cursor, copied out. Without `since`, the
   * whole ring; `since` beyond the cursor yields nothing, positioned at the cursor.
   */
  read(since2) {
    const from = Math.min(Math.max(since2 ?? this.start, this.start), this.end);
    const count2 = this.end - from;
    const out = Buffer.allocUnsafe(count2);
    const len = this.data.length;
    let index = (this.head + (from - this.start)) % len;
    let written = 0;
    while (written < count2) {
      const n = Math.min(count2 - written, len - index);
      this.data.copy(out, written, index, index + n);
      written += n;
      index = (index + n) % len;
    }
    return { start: from, bytes: out, cursor: this.end };
  }
  /** Grows the storage (doubling) so it can hold `needed` bytes, unwrapping it first. */
  ensure(needed) {
    if (needed <= this.data.length) return;
    let next = this.data.length;
    while (next < needed) next *= 2;
    const grown = Buffer.allocUnsafe(Math.min(next, this.capacity));
    const held = this.read();
    held.bytes.copy(grown, 0);
    this.data = grown;
    this.head = 0;
  }
};

// packages/core/src/pty/process-group.ts
import { readFileSync, readdirSync } from "node:fs";
import { constants as constants2 } from "node:os";
var NAMES = new Map(Object.entries(constants2.signals).map(([name, num]) => [num, name]));
function signalName(signal) {
  return signal ? NAMES.get(signal) : void 0;
}
function signalNumber(name) {
  return constants2.signals[name];
}
function signalSession(leaderPid, signals) {
  if (!Number.isInteger(leaderPid) || leaderPid <= 1) return false;
  const own = procStat(String(leaderPid));
  if (own && Number(own[3]) !== leaderPid) return false;
  const groups = sessionGroups(leaderPid);
  for (const signal of signals) {
    for (const group of groups) {
      try {
        process.kill(-group, signal);
      } catch {
      }
    }
  }
  return true;
}
function sessionGroups(sid) {
  const groups = /* @__PURE__ */ new Set([sid]);
  let entries;
  try {
    entries = readdirSync("/proc");
  } catch {
    return groups;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat4 = procStat(entry);
    if (stat4 && Number(stat4[3]) === sid) {
      const pgrp = Number(stat4[2]);
      if (pgrp > 1) groups.add(pgrp);
    }
  }
  return groups;
}
function procStat(pid) {
  try {
    const stat4 = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat4.slice(stat4.lastIndexOf(")") + 2).split(" ");
  } catch {
    return void 0;
  }
}

// packages/core/src/sessions/output-batch.ts
var MAX_BATCH_BYTES = 256 * 1024;
var FULL_READ_BYTES = 4e3;
var BATCH_WINDOW_MS = 2;
var OutputBatcher = class {
  constructor(deliver) {
    this.deliver = deliver;
  }
  deliver;
  parts = [];
  bytes = 0;
  offset = 0;
  soon = null;
  later = null;
  /** Adds a chunk whose first byte is at `offset` (chunks arrive contiguous). */
  push(chunk, offset) {
    if (this.parts.length === 0) this.offset = offset;
    this.parts.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes >= MAX_BATCH_BYTES) this.flush();
    else if (chunk.length < FULL_READ_BYTES) this.soon ??= setImmediate(() => this.flush());
    else this.later ??= setTimeout(() => this.flush(), BATCH_WINDOW_MS);
  }
  /** Delivers what is gathered now (before a new listener joins, a resize, the end). */
  flush() {
    if (this.soon) clearImmediate(this.soon);
    if (this.later) clearTimeout(this.later);
    this.soon = null;
    this.later = null;
    if (this.parts.length === 0) return;
    const chunk = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    this.deliver(chunk, this.offset);
  }
  /** Drops what is gathered without delivering it. */
  dispose() {
    this.parts = [];
    this.bytes = 0;
    this.flush();
  }
};

// packages/core/src/sessions/output-events.ts
var OutputCoalescer = class {
  constructor(options) {
    this.options = options;
    this.maxBytes = options.maxBytes ?? 65536;
    this.maxDelayMs = options.maxDelayMs ?? 50;
  }
  options;
  parts = [];
  size = 0;
  offset = 0;
  timer = null;
  /** True while only an incomplete tail waits and nothing new arrived. */
  holding = false;
  maxBytes;
  maxDelayMs;
  /** Adds a chunk whose first byte is at `offset` (chunks arrive contiguous). */
  push(chunk, offset) {
    if (chunk.length === 0) return;
    if (this.size === 0) this.offset = offset;
    this.holding = false;
    this.parts.push(chunk);
    this.size += chunk.length;
    if (this.size >= this.maxBytes) this.emitFull();
    if (this.size > 0) this.timer ??= setTimeout(() => this.onTimer(), this.maxDelayMs);
  }
  /** Publishes what is pending; `final` also publishes an incomplete trailing character. */
  flush(final = false) {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.size === 0) return;
    const all = this.take();
    const cut = final ? all.length : completeLength(all);
    if (cut > 0) this.emit(all.subarray(0, cut));
    if (cut < all.length) this.keep(all.subarray(cut), this.offset + cut);
  }
  /** Stops the timer without publishing (the session is being forgotten). */
  dispose() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.parts = [];
    this.size = 0;
  }
  onTimer() {
    this.timer = null;
    this.flush(this.holding);
    this.holding = this.size > 0;
    if (this.holding) this.timer = setTimeout(() => this.onTimer(), this.maxDelayMs);
  }
  emitFull() {
    let all = this.take();
    let offset = this.offset;
    while (all.length >= this.maxBytes) {
      const cut = completeLength(all.subarray(0, this.maxBytes)) || this.maxBytes;
      this.options.publish({ offset, bytes: all.subarray(0, cut) });
      all = all.subarray(cut);
      offset += cut;
    }
    if (all.length > 0) this.keep(all, offset);
  }
  emit(bytes2) {
    this.options.publish({ offset: this.offset, bytes: bytes2 });
  }
  take() {
    const all = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    return all;
  }
  keep(rest, offset) {
    this.parts = [rest];
    this.size = rest.length;
    this.offset = offset;
  }
};
function completeLength(buf) {
  const len = buf.length;
  for (let i = len - 1; i >= Math.max(0, len - 4); i--) {
    const b = buf[i];
    if ((b & 192) === 128) continue;
    const need = b < 128 ? 1 : (b & 224) === 192 ? 2 : (b & 240) === 224 ? 3 : (b & 248) === 240 ? 4 : 1;
    return i + need > len ? i : len;
  }
  return len;
}

// packages/core/src/sessions/idle-observer.ts
function createIdleObserver(host) {
  let lastOutputAt = host.clock.now();
  let cancel = null;
  let ended = false;
  const arm = (ms) => {
    cancel ??= setTimer(host.clock, check, ms);
  };
  function check() {
    cancel = null;
    if (ended || host.isIdle()) return;
    const quiet = host.clock.now() - lastOutputAt;
    if (quiet < host.thresholdMs) return arm(host.thresholdMs - quiet);
    host.markIdle(quiet);
  }
  return {
    start() {
      lastOutputAt = host.clock.now();
      arm(host.thresholdMs);
    },
    data(_chunk, _offset, at) {
      lastOutputAt = at;
      if (host.isIdle()) host.markActive();
      arm(host.thresholdMs);
    },
    ended() {
      ended = true;
      cancel?.();
      cancel = null;
    }
  };
}

// packages/core/src/sessions/screen.ts
import serializeModule from "@xterm/addon-serialize";
import headlessModule from "@xterm/headless";
var MAX_RESIZE_MARKS = 32;
var SessionScreen = class {
  term = null;
  serializer = null;
  title = "";
  fedTo = 0;
  /** Size in effect before the oldest mark. */
  base;
  marks = [];
  markSeq = 0;
  /** The newest mark already applied to the emulator. */
  appliedSeq = 0;
  queue = Promise.resolve();
  constructor(size2) {
    this.base = { ...size2 };
  }
  /** Records that from byte `at` on, output is laid out at `cols`×`rows`. */
  noteResize(at, cols, rows) {
    this.marks.push({ at, cols, rows, seq: ++this.markSeq });
    if (this.marks.length > MAX_RESIZE_MARKS) this.base = this.marks.shift();
  }
  /** The screen as text lines, cursor, alternate-screen flag and title. */
  snapshot(ring) {
    return this.serial(async () => {
      const term = await this.catchUp(ring);
      const buf = term.buffer.active;
      const lines = [];
      for (let y = 0; y < term.rows; y++) lines.push(buf.getLine(buf.viewportY + y)?.translateToString(true) ?? "");
      return {
        cols: term.cols,
        rows: term.rows,
        cursor: { x: buf.cursorX, y: buf.cursorY },
        alt_screen: buf.type === "alternate",
        title: this.title,
        lines
      };
    });
  }
  /** Bytes that repaint a terminal of the session's size to show this screen. */
  ansi(ring) {
    return this.serial(async () => {
      await this.catchUp(ring);
      return `\x1B[?1049l\x1B[H\x1B[2J${this.serializer.serialize({ scrollback: 0 })}`;
    });
  }
  dispose() {
    this.term?.dispose();
    this.term = null;
    this.serializer = null;
  }
  serial(fn) {
    const run2 = this.queue.then(fn, fn);
    this.queue = run2.catch(() => void 0);
    return run2;
  }
  async catchUp(ring) {
    if (!this.term || this.fedTo < ring.start || this.fedTo > ring.cursor) this.restart(ring.start);
    const term = this.term;
    const { start, bytes: bytes2, cursor } = ring.read(this.fedTo);
    let pos = start;
    for (const mark of this.marks) {
      if (mark.seq <= this.appliedSeq || mark.at > cursor) continue;
      const at = Math.max(pos, mark.at);
      await write(term, bytes2.subarray(pos - start, at - start));
      term.resize(mark.cols, mark.rows);
      this.appliedSeq = mark.seq;
      pos = at;
    }
    await write(term, bytes2.subarray(pos - start));
    this.fedTo = cursor;
    return term;
  }
  restart(from) {
    this.dispose();
    const size2 = this.sizeAt(from);
    const term = new headlessModule.Terminal({ cols: size2.cols, rows: size2.rows, scrollback: 0, allowProposedApi: true });
    this.serializer = new serializeModule.SerializeAddon();
    term.loadAddon(this.serializer);
    this.title = "";
    term.onTitleChange((t) => {
      this.title = t;
    });
    this.term = term;
    this.fedTo = from;
  }
  /** The size in effect at `offset`; marks up to there count as applied. */
  sizeAt(offset) {
    let size2 = this.base;
    this.appliedSeq = 0;
    for (const mark of this.marks) {
      if (mark.at > offset) break;
      size2 = mark;
      this.appliedSeq = mark.seq;
    }
    return size2;
  }
};
function write(term, data) {
  if (data.length === 0) return Promise.resolve();
  return new Promise((resolve3) => term.write(data, resolve3));
}

// packages/core/src/sessions/session.ts
var LIVE = /* @__PURE__ */ new Set(["running", "idle"]);
var MAX_HISTORY = 1e3;
var MAX_HISTORY_TEXT = 16384;
var EXIT_BACKSTOP_MS = 2e3;
var LiveSession = class {
  constructor(record, deps) {
    this.record = record;
    this.deps = deps;
    this.history = record.history ?? [];
    this.screen = new SessionScreen({ cols: record.cols, rows: record.rows });
    this.output = new OutputCoalescer({
      publish: ({ offset, bytes: bytes2 }) => this.publish("session.output", { session_id: this.id, data: bytes2.toString("utf8"), offset, bytes: bytes2.length })
    });
  }
  record;
  deps;
  submitKey = "\n";
  screen;
  history;
  ring = null;
  pty = null;
  listeners = /* @__PURE__ */ new Set();
  output;
  /** The observers of the current run: idle detection first, then the factories' (SPEC §17). */
  observers = [];
  /** Keeps `session.idle` (which waits for the screen) and `session.active` in order. */
  idleEvents = Promise.resolve();
  stopAs = null;
  exited = Promise.resolve();
  finishExit = null;
  killTimers = [];
  inputChain = Promise.resolve();
  batch = new OutputBatcher((chunk, offset) => {
    for (const l of this.listeners) guard(() => l.data(chunk, offset), this.deps);
  });
  get id() {
    return this.record.id;
  }
  /** running or idle: a process is attached. */
  get live() {
    return LIVE.has(this.record.state);
  }
  /** The wire shape (SPEC §5.2): no env, model, agent id or history. */
  view() {
    const { env: _env, model: _model, agent_session_id: _agent, agent_session_confirmed: _c, history: _history, ...session } = this.record;
    return { ...session, args: [...session.args], agent: session.agent ?? null };
  }
  /** The record as persisted. */
  toRecord() {
    return { ...this.record, history: [...this.history] };
  }
  /**
   * The ring: in memory while the session runs (and until its tail is stored), else read
   * from the stored tail — not kept, so ended sessions cost no memory. No stored tail
   * yields an empty ring at the recorded cursor, which never moves backwards.
   */
  async ringOf() {
    if (this.ring) return this.ring;
    const tail = await this.deps.loadTail(this.id);
    return this.ring ?? new RingBuffer(this.deps.ctx.options.bufferBytes, tail ?? { start: this.record.bytes_out, bytes: Buffer.alloc(0) });
  }
  /** The ring if it is in memory (always, while running). */
  ringIfLoaded() {
    return this.ring;
  }
  /** Lets go of an ended session's ring once its tail is safely stored; reloaded on demand. */
  releaseRing() {
    if (!this.live) this.ring = null;
  }
  /** Adds a live listener; returns the function that removes it. */
  subscribe(listener) {
    this.batch.flush();
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  /** Wires a freshly spawned PTY (the ring must be loaded) and enters `running`. */
  attach(pty, submitKey, ring) {
    const now = this.deps.ctx.clock.now();
    this.pty = pty;
    this.ring = ring;
    this.submitKey = submitKey;
    this.stopAs = null;
    this.exited = new Promise((resolve3) => this.finishExit = resolve3);
    const { ended_at: _e, exit_code: _c, signal: _s, idle_since: _i, ...rest } = this.record;
    this.record = { ...rest, state: "running", pid: pty.pid, started_at: isoTime(now), bytes_out: ring.cursor };
    this.startObservers();
    pty.onData((data) => {
      if (this.pty === pty) this.onData(typeof data === "string" ? Buffer.from(data) : data);
    });
    pty.onExit(({ exitCode, signal }) => this.onExit(pty, exitCode, signal));
    this.publish("session.started", {
      session_id: this.id,
      provider_id: this.record.provider_id,
      name: this.record.name,
      ...this.record.integration_id ? { integration_id: this.record.integration_id } : {}
    });
  }
  /** Writes raw bytes to the PTY; 409 when no process runs. */
  write(data) {
    if (!this.pty || !this.live) throw conflict("session is not running");
    this.pty.write(data);
    const bytes2 = typeof data === "string" ? Buffer.from(data) : data;
    const at = this.deps.ctx.clock.now();
    for (const o of this.observers) guard(() => o.input?.(bytes2, at), this.deps);
  }
  /**
   * Runs input steps one request after another, so a `text` and its delayed submit key
   * are never interleaved with another request's bytes.
   */
  enqueueInput(step) {
    const run2 = this.inputChain.then(step, step);
    this.inputChain = run2.catch(() => void 0);
    return run2;
  }
  resize(cols, rows) {
    if (!this.pty || !this.live) throw conflict("session is not running");
    this.pty.resize(cols, rows);
    this.batch.flush();
    this.record = { ...this.record, cols, rows };
    this.screen.noteResize(this.ring?.cursor ?? this.record.bytes_out, cols, rows);
    for (const l of this.listeners) guard(() => l.resize?.(cols, rows), this.deps);
    const at = this.deps.ctx.clock.now();
    for (const o of this.observers) guard(() => o.resize?.(cols, rows, at), this.deps);
    this.deps.persist(this);
  }
  addHistory(text) {
    this.history.push({ ts: isoTime(this.deps.ctx.clock.now()), text: text.slice(0, MAX_HISTORY_TEXT), session_id: this.id });
    if (this.history.length > MAX_HISTORY) this.history.splice(0, this.history.length - MAX_HISTORY);
    this.deps.persist(this);
  }
  /**
   * Stops the process (SPEC §5.7): SIGHUP and SIGTERM to its process group, SIGKILL after
   * the grace. Resolves once the session has ended and its end was published.
   */
  async stop(as) {
    const pty = this.pty;
    if (!pty || !this.live) return this.exited;
    if (this.stopAs) return this.exited;
    this.stopAs = as;
    this.signal(pty, ["SIGHUP", "SIGTERM"]);
    const grace = this.deps.ctx.options.stopGraceMs;
    this.killTimers.push(
      setTimeout(() => this.signal(pty, ["SIGKILL"]), grace),
      // A backend that never reports the exit must not keep the session (or shutdown) waiting.
      setTimeout(() => this.onExit(pty, -1, signalNumber("SIGKILL")), grace + EXIT_BACKSTOP_MS)
    );
    return this.exited;
  }
  /** Drops timers and listeners of a session being forgotten. */
  dispose() {
    this.clearTimers();
    for (const o of this.observers) guard(() => o.ended?.({ exit_code: null, state: "stopped", cursor: this.record.bytes_out }, this.deps.ctx.clock.now()), this.deps);
    this.observers = [];
    this.batch.dispose();
    this.output.dispose();
    this.listeners.clear();
    this.screen.dispose();
  }
  /** Signals the process's whole session; a backend without a real pid is asked to kill it. */
  signal(pty, signals) {
    if (!signalSession(pty.pid, signals)) for (const s2 of signals) guard(() => pty.kill(s2), this.deps);
  }
  onData(chunk) {
    const ring = this.ring;
    const offset = ring.cursor;
    ring.write(chunk);
    this.record.bytes_out = ring.cursor;
    const at = this.deps.ctx.clock.now();
    for (const o of this.observers) guard(() => o.data?.(chunk, offset, at), this.deps);
    this.output.push(chunk, offset);
    this.batch.push(chunk, offset);
  }
  onExit(pty, exitCode, signal) {
    if (this.pty !== pty) return;
    this.pty = null;
    this.clearTimers();
    this.batch.flush();
    this.output.flush(true);
    const name = signalName(signal);
    const state = this.stopAs ?? "ended";
    const exit_code = name ? 128 + signal : exitCode;
    const { pid: _p, idle_since: _i, ...rest } = this.record;
    this.record = {
      ...rest,
      state,
      ended_at: isoTime(this.deps.ctx.clock.now()),
      exit_code,
      ...name ? { signal: name } : {},
      bytes_out: this.ring?.cursor ?? this.record.bytes_out
    };
    const info = { exit_code, ...name ? { signal: name } : {}, state, cursor: this.record.bytes_out };
    for (const l of this.listeners) guard(() => l.ended?.(info), this.deps);
    const at = this.deps.ctx.clock.now();
    for (const o of this.observers) guard(() => o.ended?.(info, at), this.deps);
    this.observers = [];
    this.publish("session.ended", { session_id: this.id, ...info });
    this.deps.persist(this);
    this.finishExit?.();
    this.finishExit = null;
  }
  /** Idle detection first (SPEC §5.3), then every factory's observer (SPEC §17). */
  startObservers() {
    const { clock, options } = this.deps.ctx;
    const idle = createIdleObserver({
      clock,
      thresholdMs: options.idleThresholdMs,
      isIdle: () => this.record.state === "idle",
      markIdle: (quiet) => this.markIdle(quiet),
      markActive: () => this.markActive()
    });
    this.observers = [idle];
    const observed = this.observed();
    for (const factory of this.deps.observers ?? []) {
      let o;
      guard(() => o = factory(observed), this.deps);
      if (o) this.observers.push(o);
    }
    idle.start();
  }
  markIdle(quietMs) {
    this.record = { ...this.record, state: "idle", idle_since: isoTime(this.deps.ctx.clock.now()) };
    const ring = this.ring;
    this.idleEvents = this.idleEvents.then(async () => {
      const recent = ring ? screenText((await this.screen.snapshot(ring)).lines) : "";
      this.publish("session.idle", { session_id: this.id, idle_for_ms: quietMs, origin: this.record.origin, recent_output: recent });
    }).catch((err) => this.deps.ctx.logger.warn("session.idle failed", { error: err }));
  }
  markActive() {
    const { idle_since: _i, ...rest } = this.record;
    this.record = { ...rest, state: "running" };
    this.idleEvents = this.idleEvents.then(() => void this.publish("session.active", { session_id: this.id }));
  }
  /** What observers see of this session. */
  observed() {
    return {
      id: this.id,
      record: () => this.record,
      view: () => this.view(),
      clock: this.deps.ctx.clock,
      publish: (topic, data) => this.publish(topic, data),
      update: (patch) => {
        this.record = { ...this.record, ...patch };
        this.deps.persist(this);
      },
      reply: (bytes2) => {
        if (!this.pty || !this.live) return false;
        this.pty.write(bytes2);
        return true;
      },
      screen: async () => this.screen.snapshot(await this.ringOf()),
      viewers: () => [...this.listeners].filter((l) => l.viewer).length,
      cursor: () => this.ring?.cursor ?? this.record.bytes_out
    };
  }
  clearTimers() {
    for (const t of this.killTimers) clearTimeout(t);
    this.killTimers = [];
  }
  publish(topic, data) {
    this.deps.ctx.bus.publish(topic, data, this.record.integration_id ? { tenant: this.record.integration_id } : {});
  }
};
function guard(fn, deps) {
  try {
    fn();
  } catch (err) {
    deps.ctx.logger.warn("session listener failed", { error: err });
  }
}

// packages/core/src/sessions/session-manager.ts
var SUBMIT_DELAY_MS = 60;
var LIVE_STATES = /* @__PURE__ */ new Set(["running", "idle"]);
function createSessionManager(ctx, providers, extensions = {}) {
  const sessions = /* @__PURE__ */ new Map();
  const pending = /* @__PURE__ */ new Map();
  const starting = /* @__PURE__ */ new Set();
  const persistence = new SessionPersistence(ctx.stores.sessions, ctx.logger, (s2) => sessions.get(s2.id) === s2);
  const deps = {
    ctx,
    persist: (s2) => {
      void (s2.live ? persistence.saveRecord(s2) : persistence.saveTail(s2));
    },
    loadTail: (id2) => ctx.stores.sessions.loadTail(id2),
    observers: extensions.observers ?? []
  };
  const prepare = (session, launch, resume) => extensions.prepareLaunch ? extensions.prepareLaunch({ session, launch, resume }) : Promise.resolve(launch);
  const must = (id2) => {
    const s2 = sessions.get(id2);
    if (!s2) throw notFound("session");
    return s2;
  };
  const liveCount = (integrationId) => {
    let n = pending.get(integrationId) ?? 0;
    for (const s2 of sessions.values()) if (s2.live && s2.record.integration_id === integrationId) n++;
    return n;
  };
  const reserve = (owner) => {
    const id2 = owner?.integrationId;
    if (!id2) return () => {
    };
    const max = owner.maxSessions ?? Infinity;
    if (liveCount(id2) >= max) throw rateLimited(30, `max_sessions (${max}) reached for this integration`);
    pending.set(id2, (pending.get(id2) ?? 0) + 1);
    return () => {
      const left = (pending.get(id2) ?? 1) - 1;
      if (left > 0) pending.set(id2, left);
      else pending.delete(id2);
    };
  };
  const spawn = (session, launch, ring) => {
    const { cols, rows, cwd } = session.record;
    let pty;
    try {
      pty = ctx.pty.spawn(launch.command, launch.args, {
        name: "xterm-256color",
        cols,
        rows,
        cwd,
        env: { ...inheritedEnv(), ...launch.env, TERM: "xterm-256color" },
        encoding: null
      });
    } catch (err) {
      throw conflict(`could not start ${launch.command}: ${err instanceof Error ? err.message : String(err)}`);
    }
    session.attach(pty, launch.submitKey, ring);
  };
  const manager = {
    async create(request, owner) {
      const params = await parseCreate(request, ctx.options);
      if (!providers.get(params.provider_id)) {
        throw badRequest(`provider_id: unknown provider ${JSON.stringify(params.provider_id)}`);
      }
      const release = reserve(owner);
      try {
        const agentSessionId = randomUUID();
        const launch = await providers.resolveLaunch(params.provider_id, {
          args: params.args,
          env: params.env,
          ...params.model !== void 0 ? { model: params.model } : {},
          agentSessionId,
          resume: false
        });
        const id2 = newId("ses");
        const now = isoTime(ctx.clock.now());
        const record = {
          id: id2,
          name: params.name ?? `${params.provider_id}-${id2.slice(-4)}`,
          provider_id: params.provider_id,
          cwd: params.cwd,
          args: params.args,
          state: "running",
          cols: params.cols,
          rows: params.rows,
          origin: owner?.integrationId ? "integration" : "operator",
          ...owner?.integrationId ? { integration_id: owner.integrationId } : {},
          created_at: now,
          started_at: now,
          bytes_out: 0,
          env: params.env,
          ...params.model !== void 0 ? { model: params.model } : {},
          agent_session_id: agentSessionId,
          history: []
        };
        const session = new LiveSession(record, deps);
        sessions.set(id2, session);
        try {
          spawn(session, await prepare(session, launch, false), new RingBuffer(ctx.options.bufferBytes));
        } catch (err) {
          sessions.delete(id2);
          throw err;
        }
        await persistence.saveRecord(session);
        return session.view();
      } finally {
        release();
      }
    },
    list(filter = {}) {
      const out = [];
      for (const s2 of sessions.values()) {
        const r2 = s2.record;
        if (filter.state && r2.state !== filter.state) continue;
        if (filter.provider_id && r2.provider_id !== filter.provider_id) continue;
        if (filter.integration_id && r2.integration_id !== filter.integration_id) continue;
        out.push(s2.view());
      }
      return out;
    },
    get: (id2) => sessions.get(id2)?.view(),
    async input(id2, body) {
      const session = must(id2);
      const input = parseInput(body);
      if (!session.live) throw conflict("session is not running");
      const message = submittedMessage(input);
      await session.enqueueInput(async () => {
        if (input.kind === "data") session.write(input.data);
        else if (input.kind === "keys") session.write(input.bytes);
        else {
          session.write(input.text);
          await new Promise((r2) => setTimeout(r2, SUBMIT_DELAY_MS));
          session.write(session.submitKey);
        }
      });
      if (message !== void 0) session.addHistory(message);
    },
    write: (id2, data) => must(id2).write(data),
    resize: (id2, cols, rows) => must(id2).resize(cols, rows),
    async stop(id2) {
      const session = must(id2);
      await session.stop("stopped");
      return session.view();
    },
    async start(id2, owner) {
      const session = must(id2);
      if (session.live || starting.has(id2)) throw conflict("session is already running");
      starting.add(id2);
      const release = reserve(owner?.integrationId ? owner : void 0);
      try {
        const r2 = session.record;
        const dir = await stat3(r2.cwd).catch(() => null);
        if (!dir?.isDirectory()) throw conflict(`cwd ${r2.cwd} no longer exists`);
        const launch = await providers.resolveLaunch(r2.provider_id, {
          args: r2.args,
          env: r2.env ?? {},
          ...r2.model !== void 0 ? { model: r2.model } : {},
          agentSessionId: r2.agent_session_id ?? randomUUID(),
          resume: true,
          ...r2.agent_session_confirmed ? { agentSessionConfirmed: true } : {}
        });
        const ring = await session.ringOf();
        const prepared = await prepare(session, launch, true);
        if (sessions.get(id2) !== session) throw notFound("session");
        spawn(session, prepared, ring);
        await persistence.saveRecord(session);
        return session.view();
      } finally {
        starting.delete(id2);
        release();
      }
    },
    async delete(id2) {
      const session = sessions.get(id2);
      if (!session) return false;
      await session.stop("stopped");
      if (sessions.get(id2) !== session) return false;
      sessions.delete(id2);
      session.dispose();
      await persistence.settle(id2);
      persistence.forget(id2);
      await ctx.stores.sessions.delete(id2);
      await extensions.forget?.(id2);
      return true;
    },
    async buffer(id2, since2) {
      return (await must(id2).ringOf()).read(since2);
    },
    history(id2, limit = 200) {
      const all = must(id2).history;
      return all.slice(Math.max(0, all.length - limit));
    },
    async screen(id2) {
      const session = must(id2);
      return session.screen.snapshot(await session.ringOf());
    },
    async screenAnsi(id2) {
      const session = must(id2);
      return session.screen.ansi(await session.ringOf());
    },
    onData: (id2, listener) => must(id2).subscribe({ data: listener }),
    async attach(id2, listener, since2) {
      const session = must(id2);
      const loaded = await session.ringOf();
      const ring = session.ringIfLoaded() ?? loaded;
      const backlog = ring.read(since2);
      const read = (from) => (session.ringIfLoaded() ?? ring).read(from);
      if (session.live) {
        const detach = session.subscribe({
          viewer: true,
          data: (chunk, offset) => listener.data(chunk, offset),
          resize: (cols, rows) => listener.resize?.(cols, rows),
          ended: (info) => listener.ended?.(info)
        });
        return { session: session.view(), backlog, read, detach };
      }
      return { session: session.view(), backlog, ended: endInfoOf(session.record), read, detach: () => {
      } };
    },
    async load() {
      for (const record of await ctx.stores.sessions.list()) {
        const session = new LiveSession(record, deps);
        sessions.set(record.id, session);
        if (LIVE_STATES.has(record.state)) {
          const { pid: _p, idle_since: _i, ...rest } = record;
          const ended_at = rest.ended_at ?? isoTime(ctx.clock.now());
          const agent = rest.agent ? { kind: rest.agent.kind, state: "exited", since: ended_at, source: "process", ...rest.agent.turn ? { turn: rest.agent.turn } : {} } : rest.agent;
          session.record = { ...rest, state: "interrupted", ended_at, ...agent ? { agent } : {} };
          await persistence.saveRecord(session);
        }
      }
      persistence.startPeriodic(() => sessions.values());
    },
    async shutdown() {
      persistence.stopPeriodic();
      await Promise.all([...sessions.values()].map((s2) => s2.stop("interrupted")));
      await persistence.settle();
      for (const s2 of sessions.values()) s2.dispose();
    },
    async stopAllOf(integrationId) {
      const mine = [...sessions.values()].filter((s2) => s2.live && s2.record.integration_id === integrationId);
      await Promise.all(mine.map((s2) => s2.stop("stopped")));
    }
  };
  return manager;
}
function endInfoOf(record) {
  const state = record.state === "stopped" || record.state === "interrupted" ? record.state : "ended";
  return { exit_code: record.exit_code ?? null, ...record.signal ? { signal: record.signal } : {}, state, cursor: record.bytes_out };
}
function inheritedEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== void 0) env[k] = v;
  return env;
}

// packages/core/src/sessions/capability.ts
function createSessionsCapability(ctx) {
  const providers = createProviderRegistry(ctx);
  const agents = createAgentsCapability(ctx, (id2) => providers.get(id2));
  const internals = createSessionManager(ctx, providers, {
    observers: [createTerminalReplies, agents.observer, ...ctx.options.sessionObservers ?? []],
    prepareLaunch: agents.prepareLaunch,
    forget: agents.forget
  });
  const stream3 = createStreamEndpoint(ctx, internals);
  let unsubscribe = null;
  const { load: _load, shutdown: _shutdown, stopAllOf: _stopAllOf, ...manager } = internals;
  return {
    manager,
    routes: [...sessionRoutes(internals), ...agents.routes(internals), ...providers.routes],
    upgrades: [stream3],
    async start() {
      await providers.start();
      await internals.load();
      unsubscribe = ctx.bus.subscribe("integration.deregistered", (event) => {
        const id2 = event.data.integration_id;
        if (typeof id2 === "string") void internals.stopAllOf(id2);
      });
    },
    async stop() {
      unsubscribe?.();
      await internals.shutdown();
      stream3.closeAll();
      await providers.stop();
    }
  };
}

// packages/core/src/stores/keyv/open.ts
import Keyv from "keyv";
import KeyvSqlite from "@keyv/sqlite";
async function openStorage(storage) {
  const keyv = await open(storage);
  keyv.throwOnErrors = true;
  return keyv;
}
async function open(storage) {
  if (storage instanceof Keyv) return storage;
  const uri = storage ?? "memory";
  if (uri === "memory" || uri === "memory://") return new Keyv({ namespace: "opendray" });
  if (uri.startsWith("sqlite://")) {
    const adapter = new KeyvSqlite({ uri, busyTimeout: 1e4 });
    await adapter.query("PRAGMA journal_mode=WAL");
    await adapter.query("PRAGMA synchronous=NORMAL");
    const keyv = new Keyv({ store: adapter, namespace: "opendray" });
    keyv.on("error", () => {
    });
    return keyv;
  }
  throw new TypeError(`storage: unsupported store URI "${uri}" (use "memory" or "sqlite://<path>")`);
}

// packages/core/src/ws/events-endpoint.ts
import { WebSocketServer as WebSocketServer2 } from "ws";

// packages/core/src/events/access.ts
var CHANNEL_RECEIVE = "channel:receive";
var isTenantTopic = (topic) => topic.startsWith("session.") || topic.startsWith("integration.");
var isChannelTopic = (topic) => topic.startsWith("channel.");
function authorizeTopics(principal, patterns) {
  if (principal.kind === "admin") return;
  for (const pattern of patterns) {
    const wanted = eventScope(pattern);
    if (!hasScope(principal.scopes, wanted)) throw missingScope(wanted);
    if (isChannelTopic(pattern) && !hasScope(principal.scopes, CHANNEL_RECEIVE)) throw missingScope(CHANNEL_RECEIVE);
  }
}
function visibilityOf(principal) {
  if (principal.kind === "admin") return (event) => !event.topic.startsWith("_");
  const id2 = principal.id;
  const receivesChannels = hasScope(principal.scopes, CHANNEL_RECEIVE);
  return (event) => {
    const topic = event.topic;
    if (topic.startsWith("_")) return false;
    if (isTenantTopic(topic)) return event.tenant === id2;
    if (isChannelTopic(topic)) return receivesChannels;
    return true;
  };
}

// packages/core/src/events/query.ts
var MAX_TOPICS = 64;
var MAX_URL_CHARS = 8192;
var SEQ = /^[0-9]{1,15}$/;
function parseEventsQuery(query, rawUrl = "") {
  if (rawUrl.length > MAX_URL_CHARS) throw badRequest(`query: too long (at most ${MAX_URL_CHARS} characters)`);
  const items = query.getAll("topics").flatMap((v) => v.split(","));
  if (items.length === 0) throw badRequest("topics: required (comma-separated topics, e.g. session.*)");
  if (items.length > MAX_TOPICS) throw badRequest(`topics: at most ${MAX_TOPICS} topics`);
  const patterns = [];
  for (const raw of items) {
    const topic = raw.trim();
    if (topic === "") throw badRequest("topics: empty topic in the list");
    if (!isTopicPattern(topic)) throw badRequest(`topics: malformed topic ${JSON.stringify(topic.slice(0, 64))}`);
    if (!patterns.includes(topic)) patterns.push(topic);
  }
  return { patterns, since: parseSince2(query.getAll("since")) };
}
function parseSince2(values) {
  if (values.length === 0) return null;
  if (values.length > 1) throw badRequest("since: given more than once");
  const value = values[0];
  if (!SEQ.test(value)) throw badRequest("since: must be a non-negative integer (a seq)");
  return Number(value);
}

// packages/core/src/bus/frame.ts
var frames = /* @__PURE__ */ new WeakMap();
function eventFrame(event, onError) {
  const cached = frames.get(event);
  if (cached !== void 0) return cached;
  let json2;
  try {
    json2 = JSON.stringify({ topic: event.topic, ts: event.ts, data: event.data, seq: event.seq });
  } catch (err) {
    onError?.(err);
    json2 = JSON.stringify({ topic: event.topic, ts: event.ts, data: {}, seq: event.seq });
  }
  const frame = Buffer.from(json2);
  frames.set(event, frame);
  return frame;
}
function controlFrame(topic, ts2, data) {
  return JSON.stringify({ topic, ts: ts2, data });
}

// packages/core/src/events/subscriber.ts
function attachSubscriber(ws, opts) {
  const { bus, visible, queueBytes, now } = opts;
  const pumpIntervalMs = opts.pumpIntervalMs ?? 20;
  const encode = (event) => eventFrame(event, (err) => opts.onEncodeError?.(err, event.topic));
  const queue = [];
  let liveBytes = 0;
  let dropped = null;
  let lastSeq = 0;
  let early = [];
  let timer = null;
  let detached = false;
  const sendControl = (topic, data) => {
    if (ws.readyState === ws.OPEN) ws.send(controlFrame(topic, now(), data));
  };
  const armTimer = () => {
    if (timer || detached) return;
    timer = setInterval(pump, pumpIntervalMs);
    timer.unref();
  };
  function pump() {
    if (dropped && ws.bufferedAmount <= queueBytes / 2) {
      sendControl("_gap", dropped);
      dropped = null;
    }
    while (!dropped && queue.length > 0) {
      const head = queue[0];
      if (sendBounded(ws, encode(head.event), queueBytes, false) === "overflow") break;
      queue.shift();
      if (head.live) liveBytes -= encode(head.event).length;
    }
    if (timer && !dropped && queue.length === 0) {
      clearInterval(timer);
      timer = null;
    }
  }
  const deliver = (event) => {
    if (event.seq <= lastSeq) return;
    lastSeq = event.seq;
    if (!visible(event)) return;
    if (dropped) {
      dropped.to = event.seq;
      return;
    }
    if (queue.length === 0 && sendBounded(ws, encode(event), queueBytes, false) !== "overflow") return;
    queue.push({ event, live: true });
    liveBytes += encode(event).length;
    if (liveBytes > queueBytes) {
      dropped = { from: queue[0].event.seq, to: event.seq };
      queue.length = 0;
      liveBytes = 0;
    }
    armTimer();
  };
  const unsubscribe = bus.subscribe(opts.patterns, (event) => early ? early.push(event) : deliver(event));
  const seqNow = bus.seq;
  sendControl("_hello", { epoch: bus.epoch, seq: seqNow });
  if (opts.since !== null) {
    const replay = bus.replay(opts.since > seqNow ? 0 : opts.since);
    if (replay.gap) sendControl("_gap", replay.gap);
    for (const event of replay.events) {
      if (event.seq > lastSeq && anyTopicMatches(opts.patterns, event.topic) && visible(event)) {
        queue.push({ event, live: false });
      }
      lastSeq = Math.max(lastSeq, event.seq);
    }
  }
  lastSeq = Math.max(lastSeq, seqNow);
  const buffered = early;
  early = null;
  pump();
  if (queue.length > 0) armTimer();
  for (const event of buffered) deliver(event);
  const detach = () => {
    if (detached) return;
    detached = true;
    unsubscribe();
    if (timer) clearInterval(timer);
    timer = null;
    queue.length = 0;
  };
  ws.once("close", detach);
  return detach;
}

// packages/core/src/ws/events-endpoint.ts
var EVENTS_MAX_CLIENT_FRAME = 4096;
var EVENTS_QUEUE_BYTES = 4 * 1024 * 1024;
var EVENTS_WRITE_TIMEOUT_MS = 5e3;
function createEventsCapability(ctx) {
  const wss = new WebSocketServer2({ noServer: true, maxPayload: EVENTS_MAX_CLIENT_FRAME, perMessageDeflate: false });
  const onEncodeError = (err, topic) => ctx.logger.error("event data not encodable", { topic, error: err });
  const open2 = (ws, principal, patterns, since2) => {
    ws.on("error", () => void 0);
    ws.on("message", () => void 0);
    startHeartbeat(ws);
    startWriteTimeout(ws, EVENTS_WRITE_TIMEOUT_MS);
    if (principal.kind === "integration") ctx.connections.track(principal.id, ws);
    attachSubscriber(ws, {
      bus: ctx.bus,
      patterns,
      visible: visibilityOf(principal),
      since: since2,
      now: () => isoTime(ctx.clock.now()),
      queueBytes: EVENTS_QUEUE_BYTES,
      onEncodeError
    });
  };
  const endpoint = {
    path: "/integrations/_events",
    // Per-topic scopes are checked in `handle`, where the topics are known.
    access: "authenticated",
    summary: "Event stream: ?topics=a,b (trailing .*, *), ?since=<seq> to resume",
    handle({ req, socket, head, principal, query }) {
      const { patterns, since: since2 } = parseEventsQuery(query, req.url);
      authorizeTopics(principal, patterns);
      wss.handleUpgrade(req, socket, head, (ws) => open2(ws, principal, patterns, since2));
    }
  };
  return {
    upgrades: [endpoint],
    async stop() {
      for (const ws of wss.clients) closeHard(ws, CloseCode.goingAway, "gateway shutting down");
      await new Promise((resolve3) => wss.close(() => resolve3()));
    }
  };
}

// packages/core/src/gateway.ts
var BASE_PATH = "/api/v1";
async function createGateway(options = {}) {
  const opts = resolveOptions(options);
  const clock = opts.clock;
  const logger = opts.logger ?? silentLogger;
  const keyv = await openStorage(opts.storage);
  const stores = createStores(keyv, opts.stores, () => clock.now());
  const bus = createLocalBus({
    clock,
    logSize: opts.eventLogSize,
    onListenerError: (err, topic) => logger.error("bus listener failed", { topic, error: err })
  });
  const callLog = createCallLog({ store: stores.callLog, clock, logger, ...opts.callLog });
  const ctx = {
    options: opts,
    clock,
    logger,
    bus,
    stores,
    pty: opts.pty ?? createNodePtyBackend(),
    connections: createConnectionRegistry(),
    callLog,
    endpoint: { url: null }
  };
  const admin = createAdminAuth({
    credentials: await adminCredentials(opts.auth?.admin, opts.bcryptCost),
    staticToken: opts.auth?.adminToken ?? null,
    tokens: stores.adminTokens,
    tokenTtlMs: opts.auth?.tokenTtlMs ?? 864e5,
    loginFailures: createRateLimiter({ clock, ...opts.auth?.loginRateLimit ?? { max: 10, windowMs: 9e5 } }),
    clock
  });
  const sessions = createSessionsCapability(ctx);
  const capabilities = [
    { routes: [...healthRoutes({ keyv, version: opts.version, startedAt: clock.now(), now: () => clock.now() }), ...authRoutes(admin)] },
    createIntegrationsCapability(ctx),
    sessions,
    createEventsCapability(ctx),
    createProxyCapability(ctx),
    createHealthCapability(ctx),
    createChannelsCapability(ctx)
  ];
  const restRoutes = capabilities.flatMap((c) => c.routes ?? []);
  const upgrades = capabilities.flatMap((c) => c.upgrades ?? []);
  const routes = [...restRoutes, ...openApiRoutes(() => routes, upgrades)];
  const router = new Router(routes);
  const hookVerifier = opts.auth?.verify ? [{ verify: opts.auth.verify }] : [];
  const authenticator = createAuthenticator(
    [...admin.verifiers, ...capabilities.flatMap((c) => c.verifiers ?? []), ...hookVerifier],
    createRateLimiter({ clock, ...opts.auth?.credentialRateLimit ?? { max: 30, windowMs: 6e4 } })
  );
  const hooks = opts.hooks ?? {};
  const pipeline = createPipeline({
    basePath: BASE_PATH,
    router,
    authenticator,
    bodyLimitBytes: opts.bodyLimitBytes,
    logger,
    now: () => clock.now(),
    hooks: {
      onRequest: hooks.onRequest ?? [],
      preHandler: hooks.preHandler ?? [],
      onError: hooks.onError ?? [],
      onResponse: [recordInboundCalls(callLog), ...capabilities.flatMap((c) => c.onResponse ? [c.onResponse] : []), ...hooks.onResponse ?? []]
    }
  });
  const dispatchUpgrade = createUpgradeDispatcher(upgrades, {
    basePath: BASE_PATH,
    authenticator,
    logger,
    onRejected: recordRejectedUpgrades(callLog, () => clock.now())
  });
  const handler = (req, res, next) => {
    const path = (req.url ?? "/").split("?")[0];
    if (next && path !== BASE_PATH && !path.startsWith(`${BASE_PATH}/`)) return next();
    void pipeline(req, res);
  };
  const upgrade = (req, socket, head) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== BASE_PATH && !path.startsWith(`${BASE_PATH}/`)) return false;
    void dispatchUpgrade(req, socket, head);
    return true;
  };
  const server = createServer({ requestTimeout: 0, headersTimeout: 3e4, keepAliveTimeout: 5e3 }, (req, res) => handler(req, res));
  server.on("upgrade", (req, socket, head) => {
    if (!upgrade(req, socket, head)) socket.destroy();
  });
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  const started = [];
  for (const c of capabilities) {
    await c.start?.();
    started.push(c);
  }
  let closing = null;
  return {
    server,
    handler,
    upgrade,
    bus,
    sessions: sessions.manager,
    stores,
    routes,
    upgrades,
    listen(port = opts.port, host = opts.host) {
      return new Promise((resolve3, reject) => {
        const onError = (err) => reject(err);
        server.once("error", onError);
        server.listen(port, host, () => {
          server.off("error", onError);
          const addr = server.address();
          const shownHost = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
          const loopback = addr.address === "0.0.0.0" ? "127.0.0.1" : addr.address === "::" ? "[::1]" : shownHost;
          ctx.endpoint.url = `http://${loopback}:${addr.port}`;
          resolve3({ url: `http://${shownHost}:${addr.port}`, port: addr.port });
        });
      });
    },
    close() {
      closing ??= (async () => {
        server.close();
        ctx.connections.closeAll(CloseCode.goingAway, "gateway shutting down");
        for (const c of started.reverse()) {
          try {
            await c.stop?.();
          } catch (err) {
            logger.error("capability failed to stop", { error: err });
          }
        }
        await callLog.close();
        bus.close();
        server.closeAllConnections();
        if (typeof opts.storage === "string" && opts.storage !== "memory") await keyv.disconnect();
      })();
      return closing;
    }
  };
}
async function adminCredentials(admin, cost) {
  if (!admin) return null;
  if ("passwordHash" in admin) return admin;
  return { username: admin.username, passwordHash: await bcrypt3.hash(admin.password, cost) };
}

// packages/core/src/auth/admin-key-file.ts
import bcrypt4 from "bcrypt";

// packages/core/test/support/agent-cli-install.ts
import { execFile as execFile2 } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir as mkdir3, rm as rm2, writeFile as writeFile2 } from "node:fs/promises";
import { homedir as homedir2 } from "node:os";
import { join as join4 } from "node:path";
import { promisify } from "node:util";
var run = promisify(execFile2);
var AGENT_CLIS = {
  claude: { pkg: "@anthropic-ai/claude-code", version: "2.1.197", bin: "claude" },
  codex: { pkg: "@openai/codex", version: "0.171.0", bin: "codex" },
  gemini: { pkg: "@google/gemini-cli", version: "0.61.0", bin: "gemini" }
};
function agentCliCache() {
  return process.env.OPENDRAY_AGENT_CLI_CACHE ?? join4(homedir2(), ".cache", "opendray", "agent-clis");
}
async function installAgentCli(kind2) {
  const { pkg: pkg2, version, bin } = AGENT_CLIS[kind2];
  const prefix = join4(agentCliCache(), `${kind2}-${version}`);
  const exe = join4(prefix, "node_modules", ".bin", bin);
  if (!existsSync(exe) || !await versionMatches(exe, version)) {
    await rm2(prefix, { recursive: true, force: true });
    await mkdir3(prefix, { recursive: true });
    await writeFile2(join4(prefix, "package.json"), '{"private":true}\n');
    await run("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", prefix, `${pkg2}@${version}`], { timeout: 6e5, maxBuffer: 16 << 20 });
    if (!await versionMatches(exe, version)) throw new Error(`${pkg2}@${version}: ${exe} does not report version ${version}`);
  }
  return exe;
}
async function versionMatches(exe, version) {
  try {
    const { stdout } = await run(exe, ["--version"], { timeout: 3e4 });
    return stdout.includes(version);
  } catch {
    return false;
  }
}

// packages/core/test/support/agent-homes.ts
import { mkdir as mkdir4, mkdtemp, realpath as realpath2, writeFile as writeFile3 } from "node:fs/promises";
import { tmpdir as tmpdir2 } from "node:os";
import { join as join5 } from "node:path";
var CLAUDE_KEY = "sk-ant-stand-in-0123456789abcdefghijklmnop";
async function seedAgentHome(kind2, exe, standInUrl) {
  const home2 = await mkdtemp(join5(tmpdir2(), `opendray-${kind2}-home-`));
  const cwd = await realpath2(await mkdtemp(join5(tmpdir2(), `opendray-${kind2}-work-`)));
  const env = { HOME: home2, LANG: "C.UTF-8" };
  if (kind2 === "claude") {
    Object.assign(env, {
      ANTHROPIC_BASE_URL: standInUrl,
      ANTHROPIC_API_KEY: CLAUDE_KEY,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: "1",
      DISABLE_AUTOUPDATER: "1"
    });
    await writeFile3(
      join5(home2, ".claude.json"),
      JSON.stringify({
        hasCompletedOnboarding: true,
        lastOnboardingVersion: AGENT_CLIS.claude.version,
        theme: "dark",
        autoUpdates: false,
        numStartups: 1,
        customApiKeyResponses: { approved: [CLAUDE_KEY.slice(-20)], rejected: [] },
        projects: { [cwd]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true, allowedTools: [] } }
      })
    );
  } else if (kind2 === "codex") {
    env.FAKE_OPENAI_API_KEY = "sk-stand-in";
    await mkdir4(join5(home2, ".codex"));
    await writeFile3(
      join5(home2, ".codex", "config.toml"),
      [
        'model = "fake-model"',
        'model_provider = "fake"',
        'approval_policy = "on-request"',
        'sandbox_mode = "workspace-write"',
        "check_for_update_on_startup = false",
        "[model_providers.fake]",
        'name = "fake"',
        `base_url = "${standInUrl}/v1"`,
        'env_key = "FAKE_OPENAI_API_KEY"',
        'wire_api = "responses"',
        "request_max_retries = 0",
        "stream_max_retries = 0",
        "[analytics]",
        "enabled = false",
        "[features]",
        "plugins = false",
        "remote_plugin = false",
        "apps = false",
        "daemon_auto_start = false",
        "[tui]",
        "show_tooltips = false",
        "notifications = true",
        'notification_method = "osc9"',
        'notification_condition = "always"',
        `[projects."${cwd}"]`,
        'trust_level = "trusted"',
        ""
      ].join("\n")
    );
  } else {
    Object.assign(env, { GEMINI_API_KEY: "stand-in", GOOGLE_GEMINI_BASE_URL: standInUrl, GEMINI_CLI_NO_RELAUNCH: "true" });
    await mkdir4(join5(home2, ".gemini"));
    await writeFile3(
      join5(home2, ".gemini", "settings.json"),
      JSON.stringify({
        general: { enableAutoUpdate: false, enableAutoUpdateNotification: false, enableNotifications: true, notificationMethod: "osc9" },
        privacy: { usageStatisticsEnabled: false },
        telemetry: { enabled: false },
        security: { auth: { selectedType: "gemini-api-key" }, folderTrust: { enabled: false } },
        ide: { enabled: false, hasSeenNudge: true }
      })
    );
  }
  return { home: home2, cwd, provider: { id: kind2, command: exe, env } };
}

// packages/core/test/support/model-stand-in/server.ts
import { createServer as createServer2 } from "node:http";

// packages/core/test/support/model-stand-in/anthropic.ts
function handleAnthropic(ctx) {
  if (!ctx.path.startsWith("/v1/messages")) return false;
  ctx.record.api = "anthropic";
  if (ctx.path.endsWith("/count_tokens")) {
    ctx.sendJson(200, { input_tokens: 10 });
    return true;
  }
  const body = ctx.body ?? {};
  if (body.output_config?.format !== void 0) {
    ctx.record.kind = "side";
    void reply(ctx, body.stream !== false, [{ type: "text", text: '{"title": "Stand-in session"}' }], "end_turn", 0);
    return true;
  }
  ctx.record.kind = "turn";
  const answer = ctx.script.answer(view(body.messages ?? []));
  ctx.record.answer = answer;
  const content = answer.kind === "text" ? [{ type: "text", text: answer.text }] : [{ type: "tool_use", id: `toolu_standin_${ctx.record.seq}`, name: "Bash", input: { command: answer.command, description: "Create a file" } }];
  void reply(ctx, body.stream !== false, content, answer.kind === "text" ? "end_turn" : "tool_use", ctx.firstTokenDelayMs);
  return true;
}
function view(messages) {
  const last = messages[messages.length - 1];
  const blocks = (m) => typeof m?.content === "string" ? [{ type: "text", text: m.content }] : m?.content ?? [];
  const lastBlocks = blocks(last);
  const hasText = lastBlocks.some((b) => b.type === "text" && b.text && !b.text.startsWith("<system-reminder>"));
  const toolResult = hasText ? void 0 : lastBlocks.find((b) => b.type === "tool_result");
  let lastUserText = "";
  for (let i = messages.length - 1; i >= 0 && !lastUserText; i--) {
    if (messages[i].role !== "user") continue;
    lastUserText = blocks(messages[i]).filter((b) => b.type === "text" && b.text && !b.text.startsWith("<system-reminder>") && !b.text.startsWith("<command-")).map((b) => b.text).join(" ");
  }
  const resultText = toolResult ? typeof toolResult.content === "string" ? toolResult.content : JSON.stringify(toolResult.content ?? "") : "";
  return { lastUserText, endsWithToolResult: toolResult !== void 0, toolResultText: resultText };
}
async function reply(ctx, stream3, content, stopReason, delayMs) {
  await sleep2(delayMs);
  const id2 = `msg_standin_${ctx.record.seq}`;
  const usage = { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  if (!stream3) {
    ctx.sendJson(200, { id: id2, type: "message", role: "assistant", model: "stand-in", content, stop_reason: stopReason, stop_sequence: null, usage });
    return;
  }
  const events = [
    { event: "message_start", data: { type: "message_start", message: { id: id2, type: "message", role: "assistant", model: "stand-in", content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } } }
  ];
  content.forEach((block, index) => {
    if (block.type === "text") {
      events.push({ event: "content_block_start", data: { type: "content_block_start", index, content_block: { type: "text", text: "" } } });
      for (const piece of block.text.match(/.{1,12}/gs) ?? []) {
        events.push({ event: "content_block_delta", data: { type: "content_block_delta", index, delta: { type: "text_delta", text: piece } } });
      }
    } else {
      events.push({ event: "content_block_start", data: { type: "content_block_start", index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } } });
      events.push({ event: "content_block_delta", data: { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) } } });
    }
    events.push({ event: "content_block_stop", data: { type: "content_block_stop", index } });
  });
  events.push({ event: "message_delta", data: { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 5 } } });
  events.push({ event: "message_stop", data: { type: "message_stop" } });
  await ctx.sendSse(events);
}

// packages/core/test/support/model-stand-in/gemini.ts
var usageMetadata = { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 };
function handleGemini(ctx) {
  if (!ctx.path.startsWith("/v1beta/")) return false;
  ctx.record.api = "gemini";
  if (ctx.path === "/v1beta/models" || ctx.req.method === "GET") {
    ctx.sendJson(200, { models: [] });
    return true;
  }
  if (ctx.path.endsWith(":countTokens")) {
    ctx.sendJson(200, { totalTokens: 10 });
    return true;
  }
  const body = ctx.body ?? {};
  if (ctx.path.endsWith(":generateContent") || body.generationConfig?.responseMimeType === "application/json") {
    ctx.record.kind = "side";
    const text = JSON.stringify({ complexity_reasoning: "simple", complexity_score: 1, reasoning: "simple", model_choice: "flash" });
    const payload = { candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason: "STOP", index: 0 }], usageMetadata };
    if (ctx.path.includes(":streamGenerateContent")) void ctx.sendSse([{ data: payload }]);
    else ctx.sendJson(200, payload);
    return true;
  }
  if (!ctx.path.includes(":streamGenerateContent")) return false;
  ctx.record.kind = "turn";
  const answer = ctx.script.answer(view2(body.contents ?? []));
  ctx.record.answer = answer;
  void stream(ctx, answer);
  return true;
}
function view2(contents) {
  const last = contents[contents.length - 1];
  const hasText = (last?.parts ?? []).some((p) => typeof p.text === "string" && p.text.trim() !== "" && !p.text.startsWith("<"));
  const response = hasText ? void 0 : last?.parts?.find((p) => p.functionResponse);
  let lastUserText = "";
  for (let i = contents.length - 1; i >= 0 && !lastUserText; i--) {
    const c = contents[i];
    if (c.role !== "user") continue;
    lastUserText = (c.parts ?? []).filter((p) => typeof p.text === "string" && !p.text.startsWith("<")).map((p) => p.text).join(" ");
  }
  return {
    lastUserText,
    endsWithToolResult: response !== void 0,
    toolResultText: response ? JSON.stringify(response.functionResponse?.response ?? "") : ""
  };
}
async function stream(ctx, answer) {
  await sleep2(ctx.firstTokenDelayMs);
  const chunk = (parts, finishReason) => ({
    data: { candidates: [{ content: { role: "model", parts }, index: 0, ...finishReason ? { finishReason } : {} }], usageMetadata, modelVersion: "gemini-2.5-pro" }
  });
  if (answer.kind === "text") {
    const pieces = answer.text.match(/.{1,12}/gs) ?? [""];
    await ctx.sendSse(pieces.map((p, i) => chunk([{ text: p }], i === pieces.length - 1 ? "STOP" : void 0)));
  } else {
    await ctx.sendSse([chunk([{ functionCall: { name: "run_shell_command", args: { command: answer.command, description: "Create a file" } } }], "STOP")]);
  }
}

// packages/core/test/support/model-stand-in/openai.ts
function handleOpenAi(ctx) {
  if (ctx.path === "/v1/models") {
    ctx.record.api = "openai";
    ctx.sendJson(200, { object: "list", data: [], models: [] });
    return true;
  }
  if (ctx.path !== "/v1/responses") return false;
  ctx.record.api = "openai";
  const body = ctx.body ?? {};
  const input = body.input ?? [];
  if (!body.tools || body.tools.length === 0) {
    ctx.record.kind = "side";
    void stream2(ctx, { kind: "text", text: "Stand-in title" }, 0);
    return true;
  }
  ctx.record.kind = "turn";
  const answer = ctx.script.answer(view3(input));
  ctx.record.answer = answer;
  void stream2(ctx, answer, ctx.firstTokenDelayMs);
  return true;
}
function view3(input) {
  const last = input[input.length - 1];
  const endsWithToolResult = last?.type === "function_call_output";
  let lastUserText = "";
  for (let i = input.length - 1; i >= 0 && !lastUserText; i--) {
    const item = input[i];
    if (item.role !== "user") continue;
    const parts = typeof item.content === "string" ? [{ type: "input_text", text: item.content }] : item.content ?? [];
    const text = parts.filter((p) => p.type === "input_text" && p.text).map((p) => p.text).join(" ");
    if (!/^\s*</.test(text)) lastUserText = text;
  }
  const out = endsWithToolResult ? last.output : "";
  return { lastUserText, endsWithToolResult, toolResultText: typeof out === "string" ? out : JSON.stringify(out ?? "") };
}
async function stream2(ctx, answer, delayMs) {
  await sleep2(delayMs);
  const rid = `resp_standin_${ctx.record.seq}`;
  const events = [];
  const response = (status, output) => ({ id: rid, object: "response", status, model: "fake-model", output });
  events.push({ event: "response.created", data: { response: response("in_progress", []) } });
  events.push({ event: "response.in_progress", data: { response: response("in_progress", []) } });
  let item;
  if (answer.kind === "text") {
    const id2 = `msg_standin_${ctx.record.seq}`;
    item = { id: id2, type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: answer.text, annotations: [] }] };
    events.push({ event: "response.output_item.added", data: { output_index: 0, item: { ...item, status: "in_progress", content: [] } } });
    events.push({ event: "response.content_part.added", data: { item_id: id2, output_index: 0, content_index: 0, part: { type: "output_text", text: "", annotations: [] } } });
    for (const piece of answer.text.match(/.{1,12}/gs) ?? []) {
      events.push({ event: "response.output_text.delta", data: { item_id: id2, output_index: 0, content_index: 0, delta: piece } });
    }
    events.push({ event: "response.output_text.done", data: { item_id: id2, output_index: 0, content_index: 0, text: answer.text } });
  } else {
    const id2 = `fc_standin_${ctx.record.seq}`;
    const args = JSON.stringify({ cmd: answer.command, sandbox_permissions: "require_escalated", justification: answer.justification });
    item = { id: id2, type: "function_call", call_id: `call_standin_${ctx.record.seq}`, name: "exec_command", arguments: args, status: "completed" };
    events.push({ event: "response.output_item.added", data: { output_index: 0, item: { ...item, arguments: "", status: "in_progress" } } });
    events.push({ event: "response.function_call_arguments.delta", data: { item_id: id2, output_index: 0, delta: args } });
    events.push({ event: "response.function_call_arguments.done", data: { item_id: id2, output_index: 0, arguments: args } });
  }
  events.push({ event: "response.output_item.done", data: { output_index: 0, item } });
  const usage = { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 };
  events.push({ event: "response.completed", data: { response: { ...response("completed", [item]), usage } } });
  await ctx.sendSse(events.map((e) => ({ event: e.event, data: { type: e.event, ...e.data } })));
}

// packages/core/test/support/model-stand-in/script.ts
var TOOL_FILE = "stand-in-tool-output.txt";
var Script = class {
  replies = 0;
  answer(view4) {
    if (view4.endsWithToolResult) {
      const head = view4.toolResultText.replace(/\s+/g, " ").trim().slice(0, 40);
      return { kind: "text", text: `Tool finished: ${head || "no output"}` };
    }
    if (/please run/i.test(view4.lastUserText)) {
      return { kind: "tool_call", command: `touch ${TOOL_FILE}`, justification: "The user asked to create a file." };
    }
    this.replies++;
    const words = view4.lastUserText.replace(/\s+/g, " ").trim().split(" ").slice(0, 6).join(" ");
    return { kind: "text", text: `Stand-in reply ${this.replies}: ${words}` };
  }
};

// packages/core/test/support/model-stand-in/server.ts
async function startModelStandIn(options = {}) {
  const log = [];
  const script = new Script();
  const firstTokenDelayMs = options.firstTokenDelayMs ?? 300;
  const server = createServer2((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let body;
      try {
        body = raw ? JSON.parse(raw) : void 0;
      } catch {
        body = void 0;
      }
      const path = (req.url ?? "/").split("?")[0];
      const record = { seq: log.length + 1, at: Date.now(), method: req.method ?? "GET", path, api: "other", kind: "other", body, raw };
      log.push(record);
      const ctx = {
        req,
        res,
        path,
        body,
        record,
        script,
        firstTokenDelayMs,
        async sendSse(events) {
          res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
          for (const e of events) {
            res.write(`${e.event ? `event: ${e.event}
` : ""}data: ${JSON.stringify(e.data)}

`);
          }
          await new Promise((resolve3) => res.end(resolve3));
          record.lastByteAt = Date.now();
        },
        sendJson(status, payload) {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(payload), () => record.lastByteAt = Date.now());
        }
      };
      const handled2 = handleAnthropic(ctx) || handleOpenAi(ctx) || handleGemini(ctx);
      if (!handled2) {
        if (req.method === "HEAD" || req.method === "GET") {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(req.method === "HEAD" ? void 0 : "{}");
        } else ctx.sendJson(404, { error: { message: `stand-in: no route for ${req.method} ${path}` } });
      }
    });
  });
  await new Promise((resolve3) => server.listen(0, "127.0.0.1", resolve3));
  const port = server.address().port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    turns: () => log.filter((r2) => r2.kind === "turn"),
    close: () => new Promise((resolve3) => {
      server.closeAllConnections();
      server.close(() => resolve3());
    })
  };
}
var sleep2 = (ms) => new Promise((r2) => setTimeout(r2, ms));

// ../../../tmp/dbg/gem.ts
var kind = process.argv[2] ?? "gemini";
var standIn = await startModelStandIn({});
var home = await seedAgentHome(kind, await installAgentCli(kind), standIn.url);
var g = await createGateway({ bcryptCost: 4, auth: { adminToken: "x".repeat(24) }, providers: [home.provider] });
var { url } = await g.listen(0, "127.0.0.1");
var api = async (p, init = {}) => {
  const r2 = await fetch(url + "/api/v1" + p, { method: init.method ?? "GET", headers: { authorization: "Bearer " + "x".repeat(24), "content-type": "application/json" }, body: init.body ? JSON.stringify(init.body) : void 0 });
  return r2.json();
};
var s = await api("/sessions", { method: "POST", body: { provider_id: kind, cwd: home.cwd } });
console.log("created", s.id, s.agent);
var sleep3 = (ms) => new Promise((r2) => setTimeout(r2, ms));
for (let i = 0; i < 20; i++) {
  await sleep3(500);
  const a = await api(`/sessions/${s.id}/agent`);
  if (a.state !== "starting") {
    console.log("ready after", i * 500, a.state);
    break;
  }
}
var t0 = Date.now();
var r = await api(`/sessions/${s.id}/prompt`, { method: "POST", body: { text: "say hello", wait: { timeout_ms: 15e3 } } });
console.log("prompt", Date.now() - t0, JSON.stringify(r));
console.log((await api(`/sessions/${s.id}/screen`)).lines.filter((l) => l.trim()).join("\n"));
console.log(JSON.stringify((await api(`/sessions/${s.id}/agent`)).explain.map((e) => `${e.source} ${e.signal} ${e.from}->${e.to}`), null, 1));
console.log(standIn.log.map((l) => `${l.path} ${l.kind}`));
await g.close();
await standIn.close();
process.exit(0);
