// What decoding changed or refused, kept short: a batch of 512 spans with the same problem
// yields one message naming the first occurrence and the count, not 512 messages.

interface Issue {
  first: string;
  count: number;
}

export class DecodeReport {
  rejectedSpans = 0;
  private readonly issues = new Map<string, Issue>();

  /** A span that cannot be stored; `detail` says where and why. */
  reject(kind: string, detail: string): void {
    this.rejectedSpans++;
    this.note(`rejected:${kind}`, `span rejected: ${detail}`);
  }

  /** Data accepted with a change (truncated, dropped, repaired); `detail` says where and what. */
  note(kind: string, detail: string): void {
    const issue = this.issues.get(kind);
    if (issue) issue.count++;
    else this.issues.set(kind, { first: detail, count: 1 });
  }

  messages(): string[] {
    return [...this.issues.values()].map(({ first, count }) =>
      count === 1 ? first : `${first} (and ${count - 1} more like it)`,
    );
  }
}
