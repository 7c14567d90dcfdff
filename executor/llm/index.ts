// The llm node runner behind executor/contracts.ts LlmStepRunner.
export { createLlmStepRunner, LlmStepError, type LlmRunnerDeps } from './runner.ts';
export { backoffDelayMs, fallsBackImmediately } from './policy.ts';
