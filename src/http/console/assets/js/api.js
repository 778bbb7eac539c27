// The JSON API client: Connect-protocol unary calls (`POST /matchledger.v1.<Service>/<Method>`,
// proto3 JSON) and server streams as NDJSON. Answers are normalised to the proto's own snake_case
// field names, whichever JSON names the server writes, so views read `phase.smes_supported`.

const TOKEN_KEY = 'matchledger.token';

/** A refusal from the API: the Connect error code, message and details. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || 'unknown';
    this.details = details || [];
  }

  /** Whether signing in (again) could help. */
  get needsSignIn() {
    return this.status === 401 || this.code === 'unauthenticated';
  }

  /** Whether the caller is known but may not read. */
  get forbidden() {
    return this.status === 403 || this.code === 'permission_denied';
  }
}

/** The bearer token of this browser tab, if signed in. Kept only for the tab's life. */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function headers(contentType) {
  const result = { 'Content-Type': contentType, 'Connect-Protocol-Version': '1' };
  const bearer = token();
  if (bearer) result.Authorization = `Bearer ${bearer}`;
  return result;
}

function path(service, method) {
  return `/matchledger.v1.${service}/${method}`;
}

/** `answeredAtSequence` → `answered_at_sequence`, recursively; map keys are left alone. */
export function snake(value) {
  if (Array.isArray(value)) return value.map(snake);
  if (value === null || typeof value !== 'object') return value;
  const result = {};
  for (const [key, inner] of Object.entries(value)) {
    result[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = snake(inner);
  }
  return result;
}

function refusal(status, body) {
  let parsed = {};
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = { message: body.slice(0, 300) };
  }
  const error = parsed.error || parsed;
  return new ApiError(status, error.code, error.message, error.details);
}

/** One unary call; resolves to the answer, rejects with an `ApiError`. */
export async function call(service, method, request = {}, options = {}) {
  const response = await fetch(path(service, method), {
    method: 'POST',
    headers: headers('application/json'),
    body: JSON.stringify(request),
    signal: options.signal,
  });
  const body = await response.text();
  if (!response.ok) throw refusal(response.status, body);
  return snake(body ? JSON.parse(body) : {});
}

export const query = (method, request, options) => call('QueryService', method, request, options);
export const audit = (method, request, options) => call('AuditService', method, request, options);

/**
 * A server stream as NDJSON (one proto3 JSON message per line; a stream that fails after
 * it started ends with a line `{"error": {…}}`): calls `onMessage` with each message in
 * order and resolves when the stream ends; a refusal rejects with an `ApiError`.
 */
export async function stream(service, method, request, onMessage, options = {}) {
  const response = await fetch(path(service, method), {
    method: 'POST',
    headers: headers('application/json'),
    body: JSON.stringify(request),
    signal: options.signal,
  });
  if (!response.ok) throw refusal(response.status, await response.text());
  return readLines(response.body.getReader(), onMessage);
}

async function readLines(reader, onMessage) {
  const decoder = new TextDecoder();
  let text = '';
  const emit = (line) => {
    if (!line.trim()) return;
    const message = JSON.parse(line);
    if (message.error) throw refusal(200, JSON.stringify(message.error));
    onMessage(snake(message));
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    const lines = text.split('\n');
    text = lines.pop();
    lines.forEach(emit);
  }
  emit(text);
}
