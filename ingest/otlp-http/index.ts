export { OtlpHttpReceiver, TRACES_PATH, type ReceivedBatch, type TraceConsumer } from './receiver.ts';
export type { OtlpHttpReceiverConfig, ProjectIdResolver } from './config.ts';
