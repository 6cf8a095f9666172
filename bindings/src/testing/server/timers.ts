// The fake's pending timers (latency, delayed drops), so `close()` can cancel them all.

export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>()

  after(ms: number, f: () => void): void {
    const t = setTimeout(() => {
      this.pending.delete(t)
      f()
    }, ms)
    this.pending.add(t)
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve))
  }

  cancelAll(): void {
    for (const t of this.pending) clearTimeout(t)
    this.pending.clear()
  }
}
