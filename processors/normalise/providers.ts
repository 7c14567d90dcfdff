// Provider names as producers spell them → the GenAI semconv v1.41 well-known values of
// `gen_ai.provider.name`. Prefix rules follow the Vercel AI SDK's own mapping
// (`@ai-sdk/otel` mapProviderName), which also covers OpenInference's `llm.provider`
// values and OpenLLMetry's pre-1.37 spellings.

const ALIASES: Readonly<Record<string, string>> = {
  'az.ai.openai': 'azure.ai.openai',
  'az.ai.inference': 'azure.ai.inference',
  azure: 'azure.ai.openai',
  aws: 'aws.bedrock',
  amazon: 'aws.bedrock',
  vertexai: 'gcp.vertex_ai',
  vertex_ai: 'gcp.vertex_ai',
  gemini: 'gcp.gemini',
  mistralai: 'mistral_ai',
  xai: 'x_ai',
  'x-ai': 'x_ai',
  moonshot: 'moonshot_ai',
  moonshotai: 'moonshot_ai',
};

/** Checked in order: the longer, more specific prefixes first. */
const PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ['google.vertex', 'gcp.vertex_ai'],
  ['google-vertex', 'gcp.vertex_ai'],
  ['google.generative-ai', 'gcp.gemini'],
  ['amazon-bedrock', 'aws.bedrock'],
  ['azure-openai', 'azure.ai.openai'],
  ['anthropic', 'anthropic'],
  ['openai', 'openai'],
  ['azure', 'azure.ai.inference'],
  ['google', 'gcp.gemini'],
  ['mistral', 'mistral_ai'],
  ['cohere', 'cohere'],
  ['bedrock', 'aws.bedrock'],
  ['groq', 'groq'],
  ['deepseek', 'deepseek'],
  ['perplexity', 'perplexity'],
  ['xai', 'x_ai'],
];

/** Names already in semconv form pass through unchanged. */
const WELL_KNOWN: ReadonlySet<string> = new Set([
  'anthropic', 'aws.bedrock', 'azure.ai.inference', 'azure.ai.openai', 'cohere', 'deepseek', 'gcp.gemini',
  'gcp.gen_ai', 'gcp.vertex_ai', 'groq', 'ibm.watsonx.ai', 'mistral_ai', 'openai', 'perplexity', 'x_ai', 'moonshot_ai',
]);

/** Whether `name` (already normalised) is one of the GenAI semconv well-known providers. */
export function isWellKnownProvider(name: string): boolean {
  return WELL_KNOWN.has(name);
}

const memo = new Map<string, string>();
const MEMO_LIMIT = 10_000;

function map(lower: string): string {
  if (WELL_KNOWN.has(lower)) return lower;
  const alias = ALIASES[lower];
  if (alias !== undefined) return alias;
  for (const [prefix, mapped] of PREFIXES) {
    if (lower === prefix || lower.startsWith(`${prefix}.`) || lower.startsWith(`${prefix}-`)) return mapped;
  }
  return lower;
}

/** `openai.chat` → `openai`, `az.ai.openai` → `azure.ai.openai`, unknown names lower-cased. */
export function normaliseProvider(raw: string): string {
  if (raw === '') return '';
  let mapped = memo.get(raw);
  if (mapped === undefined) {
    mapped = map(raw.trim().toLowerCase());
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(raw, mapped);
  }
  return mapped;
}
