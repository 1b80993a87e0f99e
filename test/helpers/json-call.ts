/** A JSON call with a bearer token: the e2e tests' client of a running API. */
export type JsonCall = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

export function jsonCall(baseUrl: string, token: string): JsonCall {
  return async (method, path, body) => {
    const res = await fetch(baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}
