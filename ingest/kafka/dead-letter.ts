// Records the processor cannot use go to the dead-letter topic unchanged (key, value and
// headers), with why and where they came from in `flowtrace.dlq.*` headers, so they can be
// inspected and replayed, and the partition they came from keeps flowing.
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';

export type DeadLetterReason = 'undecodable' | 'oversized' | 'no_value';

/** Header names on dead-letter records. */
export const DEAD_LETTER_HEADERS = {
  /** One of DeadLetterReason. */
  REASON: 'flowtrace.dlq.reason',
  /** The precise problem, e.g. the decoder's message. */
  ERROR: 'flowtrace.dlq.error',
  TOPIC: 'flowtrace.dlq.topic',
  PARTITION: 'flowtrace.dlq.partition',
  OFFSET: 'flowtrace.dlq.offset',
  /** The original record's timestamp (ms since the epoch). */
  TIMESTAMP: 'flowtrace.dlq.timestamp',
  GROUP: 'flowtrace.dlq.group',
} as const;

export interface DeadLetter {
  reason: DeadLetterReason;
  error: string;
  topic: string;
  partition: number;
  message: KafkaMessage;
}

export function deadLetterRecord(letter: DeadLetter, groupId: string): Message {
  const { message } = letter;
  const headers: IHeaders = {
    ...message.headers,
    [DEAD_LETTER_HEADERS.REASON]: letter.reason,
    [DEAD_LETTER_HEADERS.ERROR]: letter.error,
    [DEAD_LETTER_HEADERS.TOPIC]: letter.topic,
    [DEAD_LETTER_HEADERS.PARTITION]: String(letter.partition),
    [DEAD_LETTER_HEADERS.OFFSET]: message.offset,
    [DEAD_LETTER_HEADERS.TIMESTAMP]: message.timestamp,
    [DEAD_LETTER_HEADERS.GROUP]: groupId,
  };
  return { key: message.key, value: message.value, headers };
}
