// A small JSON client for the service's HTTP API in tests. Test support only.

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ApiClient {
  get<T = any>(path: string): Promise<JsonResponse<T>>;
  delete<T = any>(path: string): Promise<JsonResponse<T>>;
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<JsonResponse<T>>;
  put<T = any>(path: string, body?: unknown): Promise<JsonResponse<T>>;
  /** Sends `raw` as the body verbatim, with the given content type. */
  send<T = any>(method: string, path: string, raw: string, contentType: string): Promise<JsonResponse<T>>;
}

async function parsed<T>(res: Response): Promise<JsonResponse<T>> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

export function apiClient(baseUrl: string): ApiClient {
  const call = <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${baseUrl}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then((res) => parsed<T>(res));
  return {
    get: (path) => call('GET', path),
    delete: (path) => call('DELETE', path),
    post: (path, body, headers) => call('POST', path, body ?? {}, headers),
    put: (path, body) => call('PUT', path, body),
    send: (method, path, raw, contentType) =>
      fetch(`${baseUrl}${path}`, { method, headers: { 'content-type': contentType }, body: raw }).then((res) => parsed(res)),
  };
}
