// ProviderSimulator: a local HTTP server speaking the OpenAI Chat Completions and
// Anthropic Messages APIs with deterministic answers and usage, configurable latency and
// injected faults, so the executor and the pipeline run against the real SDKs offline.
import express, { type NextFunction, type Request, type Response } from 'express';
import { closeNow, hostForUrl, HttpServerHandle } from '../../core/http-server.ts';
import { anthropicDialect } from './anthropic.ts';
import { composeAnswer, streamChunks } from './answer.ts';
import {
  DEFAULT_ANTHROPIC_MIN_PREFIX_TOKENS,
  DEFAULT_OPENAI_MIN_PREFIX_TOKENS,
  DEFAULT_REASONING_MODELS,
  SimulatorConfigError,
  validateSimulatorConfig,
  type FaultKind,
  type ProviderName,
  type SimulatorConfig,
} from './config.ts';
import { drop, hang, sendEmptyStream, sendJson, sendJsonAfter, sendMalformed, sendStream, type ResponseHeaders, type StreamEnding } from './delivery.ts';
import { requestId, type ProviderDialect, type SimCompletion, type SimRequest } from './dialect.ts';
import { DirectiveError } from './directives.ts';
import { FaultPlan, type FaultDecision } from './faults.ts';
import { LatencyTable } from './latency.ts';
import { modelMatcher } from './model-pattern.ts';
import { openaiDialect } from './openai.ts';
import { analysePrompt, type PromptAnalysis } from './prompt.ts';
import { PromptCache } from './prompt-cache.ts';
import { StatsRecorder, type SimulatorStats } from './stats.ts';

export interface SimulatorOptions {
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Port to bind; default 0 (a free port, reported by start()). */
  port?: number;
  /** Called for every counted call (never with credentials), e.g. to log it. */
  onCall?: (call: SimulatedCall) => void;
}

export interface SimulatedCall {
  provider: ProviderName;
  model: string;
  /** 1-based call number for this model. */
  call: number;
  stream: boolean;
  fault?: FaultKind;
}

export interface SimulatorAddress {
  port: number;
  /** Includes `/v1`: the openai SDK appends `/chat/completions`. */
  openaiBaseUrl: string;
  /** Without `/v1`: the Anthropic SDK appends `/v1/messages`. */
  anthropicBaseUrl: string;
}

/** The configuration compiled for request-time use; replaced as a whole by configure(). */
interface Runtime {
  config: SimulatorConfig;
  faults: FaultPlan;
  latency: LatencyTable;
  minPrefixTokens: Record<ProviderName, number>;
  isReasoningModel(model: string): boolean;
}

function compile(config: SimulatorConfig): Runtime {
  const reasoning = (config.reasoningModels ?? DEFAULT_REASONING_MODELS).map(modelMatcher);
  const reasoningByModel = new Map<string, boolean>();
  return {
    config,
    faults: new FaultPlan(config.faults, config.seed),
    latency: new LatencyTable(config.latency),
    minPrefixTokens: {
      openai: config.cache?.openaiMinPrefixTokens ?? DEFAULT_OPENAI_MIN_PREFIX_TOKENS,
      anthropic: config.cache?.anthropicMinPrefixTokens ?? DEFAULT_ANTHROPIC_MIN_PREFIX_TOKENS,
    },
    isReasoningModel(model) {
      let is = reasoningByModel.get(model);
      if (is === undefined) {
        is = reasoning.some((matches) => matches(model));
        reasoningByModel.set(model, is);
      }
      return is;
    },
  };
}

const ERROR_STATUS: Partial<Record<FaultKind, number>> = { rate_limit: 429, server_error: 500, unavailable: 503, overloaded: 529 };
const ERROR_MESSAGE: Record<number, string> = {
  429: 'Rate limit reached for requests. (simulated)',
  500: 'The server had an error while processing your request. (simulated)',
  503: 'The service is temporarily unavailable. (simulated)',
  529: 'Overloaded (simulated)',
};
const STREAM_ENDINGS: Partial<Record<FaultKind, StreamEnding>> = { mid_stream_error: 'error', mid_stream_drop: 'drop' };
const MISSING_KEY = 'Missing API key: send "Authorization: Bearer <key>" or "x-api-key: <key>" (any value is accepted).';
const BODY_LIMIT = '32mb';

function hasApiKey(req: Request): boolean {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^Bearer\s+\S/i.test(auth)) return true;
  const key = req.headers['x-api-key'];
  return typeof key === 'string' && key.length > 0;
}

/** Which provider's error shape a path answers with; undefined outside the provider APIs. */
function dialectForPath(path: string): ProviderDialect | undefined {
  if (path === '/v1/messages' || path.startsWith('/v1/messages/')) return anthropicDialect;
  if (path.startsWith('/v1/')) return openaiDialect;
  return undefined;
}

function adminError(res: Response, status: number, message: string, problems?: string[]): void {
  sendJson(res, status, {}, JSON.stringify({ error: { message, ...(problems ? { problems } : {}) } }));
}

export class ProviderSimulator {
  private runtime: Runtime;
  private readonly recorder = new StatsRecorder();
  private readonly cache = new PromptCache();
  private readonly app = this.buildApp();
  private readonly server = new HttpServerHandle('ProviderSimulator');
  private seq = 0;

  constructor(
    config: SimulatorConfig = {},
    private readonly options: SimulatorOptions = {},
  ) {
    this.runtime = compile(structuredClone(validateSimulatorConfig(config)));
  }

  async start(): Promise<SimulatorAddress> {
    const host = this.options.host ?? '127.0.0.1';
    const { port } = await this.server.start(this.app, { host, port: this.options.port ?? 0 });
    // The configured name, not the bound address: `localhost` stays `localhost` for the SDKs.
    const origin = `http://${hostForUrl(host)}:${port}`;
    return { port, openaiBaseUrl: `${origin}/v1`, anthropicBaseUrl: origin };
  }

  /** Stops listening and closes every connection, hanging and streaming ones included. */
  stop(): Promise<void> {
    return this.server.stop(closeNow);
  }

  /** Replaces the configuration (throws SimulatorConfigError); counters and the prompt cache are kept. */
  configure(config: SimulatorConfig): void {
    this.runtime = compile(structuredClone(validateSimulatorConfig(config)));
  }

  config(): SimulatorConfig {
    return structuredClone(this.runtime.config);
  }

  stats(): SimulatorStats {
    return this.recorder.snapshot();
  }

  /** Clears call counters (call numbers restart at 1), statistics and the prompt cache. */
  reset(): void {
    this.recorder.reset();
    this.cache.clear();
  }

  private buildApp(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.use(express.json({ limit: BODY_LIMIT }));
    app.post('/v1/chat/completions', (req, res) => this.handleChat(openaiDialect, req, res));
    app.post('/v1/messages', (req, res) => this.handleChat(anthropicDialect, req, res));
    app.get('/health', (_req, res) => sendJson(res, 200, {}, '{"status":"ok"}'));
    app.get('/_simulator/config', (_req, res) => sendJson(res, 200, {}, JSON.stringify(this.runtime.config)));
    app.put('/_simulator/config', (req, res) => this.handleConfigure(req, res));
    app.get('/_simulator/stats', (_req, res) => sendJson(res, 200, {}, JSON.stringify(this.stats())));
    app.post('/_simulator/reset', (_req, res) => {
      this.reset();
      sendJson(res, 200, {}, '{"ok":true}');
    });
    app.use((req: Request, res: Response) => this.handleUnknownRoute(req, res));
    app.use((err: unknown, req: Request, res: Response, next: NextFunction) => this.handleBodyError(err, req, res, next));
    return app;
  }

  private handleConfigure(req: Request, res: Response): void {
    if (!req.is('application/json')) return adminError(res, 415, 'Send the configuration as a JSON body (Content-Type: application/json).');
    try {
      this.configure(req.body as SimulatorConfig);
      sendJson(res, 200, {}, JSON.stringify({ ok: true, config: this.runtime.config }));
    } catch (err) {
      if (!(err instanceof SimulatorConfigError)) throw err;
      adminError(res, 400, err.message, err.problems);
    }
  }

  private handleUnknownRoute(req: Request, res: Response): void {
    const dialect = dialectForPath(req.path);
    const message = `Unknown request URL: ${req.method} ${req.path}`;
    if (!dialect) return adminError(res, 404, message);
    this.reject(dialect, res, 404, message, requestId(++this.seq));
  }

  /** express.json() failures (unparseable or oversized bodies) in the shape of the API addressed. */
  private handleBodyError(err: unknown, req: Request, res: Response, next: NextFunction): void {
    const failure = err as { type?: string; status?: number; message?: string };
    if (res.headersSent || (failure.type !== 'entity.parse.failed' && failure.type !== 'entity.too.large')) return next(err);
    const status = failure.status ?? 400;
    const message = status === 413 ? `Request body larger than ${BODY_LIMIT}.` : `Invalid JSON body: ${failure.message ?? 'parse error'}`;
    const dialect = dialectForPath(req.path);
    if (!dialect) return adminError(res, status, message);
    this.reject(dialect, res, status, message, requestId(++this.seq));
  }

  private reject(dialect: ProviderDialect, res: Response, status: number, message: string, rid: string): void {
    this.recorder.rejected();
    sendJson(res, status, { [dialect.requestIdHeader]: rid }, dialect.errorBody(status, message, rid));
  }

  private handleChat(dialect: ProviderDialect, req: Request, res: Response): void {
    const seq = ++this.seq;
    const rid = requestId(seq);
    if (!hasApiKey(req)) return this.reject(dialect, res, 401, MISSING_KEY, rid);
    const runtime = this.runtime;
    const request = dialect.parse(req.body, runtime);
    if (typeof request === 'string') return this.reject(dialect, res, 400, request, rid);
    let prompt: PromptAnalysis;
    try {
      prompt = analysePrompt(request.model, request.pieces, runtime.minPrefixTokens[dialect.provider]);
    } catch (err) {
      if (err instanceof DirectiveError) return this.reject(dialect, res, 400, err.message, rid);
      throw err;
    }

    const model = request.model;
    const call = this.recorder.call(model, dialect.provider, request.stream);
    const fault = runtime.faults.decide(model, dialect.provider, request.stream, call);
    this.options.onCall?.({ provider: dialect.provider, model, call, stream: request.stream, fault: fault?.kind });
    const headers: ResponseHeaders = { [dialect.requestIdHeader]: rid, 'x-simulator-call': String(call) };
    if (fault) {
      this.recorder.fault(model, fault.kind);
      if (this.injectBeforeAnswer(dialect, res, headers, fault, rid)) return;
    }

    const completion = this.complete(dialect, request, prompt, seq);
    if (!fault) this.recorder.success(model, completion.usage);
    // A failure while writing can only concern this connection: end it, keep serving.
    this.answer(dialect, res, headers, request, completion, runtime, fault).catch(() => res.socket?.destroy());
  }

  /** Faults that replace the answer entirely; returns false for those that shape an answer. */
  private injectBeforeAnswer(dialect: ProviderDialect, res: Response, headers: ResponseHeaders, fault: FaultDecision, rid: string): boolean {
    const status = ERROR_STATUS[fault.kind];
    if (status !== undefined) {
      if (status === 429) {
        headers['retry-after'] = String(Math.ceil(fault.retryAfterMs / 1000));
        headers['retry-after-ms'] = String(fault.retryAfterMs);
      }
      sendJson(res, status, headers, dialect.errorBody(status, ERROR_MESSAGE[status], rid));
      return true;
    }
    if (fault.kind === 'timeout') hang(res, fault.hangMs);
    else if (fault.kind === 'drop') drop(res);
    else if (fault.kind === 'empty_stream') sendEmptyStream(res, headers);
    else return false;
    return true;
  }

  private complete(dialect: ProviderDialect, request: SimRequest, prompt: PromptAnalysis, seq: number): SimCompletion {
    const cached = this.cache.use(prompt.prefixes);
    const answer = composeAnswer({
      digest: prompt.digest,
      directives: prompt.directives,
      json: request.jsonMode || prompt.asksForJson,
      reasoning: request.reasoning,
      maxOutputTokens: request.maxOutputTokens,
    });
    return {
      seq,
      text: answer.text,
      truncated: answer.truncated,
      usage: {
        inputTokens: prompt.inputTokens,
        cacheReadTokens: cached.readTokens,
        cacheWriteTokens: dialect.reportsCacheWrites ? cached.writeTokens : 0,
        outputTokens: answer.outputTokens,
        reasoningTokens: answer.reasoningTokens,
      },
    };
  }

  private async answer(
    dialect: ProviderDialect,
    res: Response,
    headers: ResponseHeaders,
    request: SimRequest,
    completion: SimCompletion,
    runtime: Runtime,
    fault: FaultDecision | undefined,
  ): Promise<void> {
    const latency = runtime.latency.for(request.model);
    const { outputTokens, reasoningTokens } = completion.usage;
    if (!request.stream) {
      const body = dialect.message(request, completion);
      if (fault?.kind === 'malformed') return sendMalformed(res, headers, false, body);
      return sendJsonAfter(res, latency.fixedMs + latency.perTokenMs * outputTokens, headers, body);
    }
    const frames = dialect.stream(request, completion, streamChunks(completion.text));
    if (fault?.kind === 'malformed') return sendMalformed(res, headers, true, frames.prelude[0]);
    const visibleTokens = outputTokens - reasoningTokens;
    await sendStream(res, headers, frames, {
      firstEventMs: latency.fixedMs + latency.perTokenMs * reasoningTokens,
      perChunkMs: frames.content.length > 0 ? (latency.perTokenMs * visibleTokens) / frames.content.length : 0,
      ending: (fault && STREAM_ENDINGS[fault.kind]) ?? 'complete',
      errorFrame: dialect.streamError(headers[dialect.requestIdHeader]),
    });
  }
}
