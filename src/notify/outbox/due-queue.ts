// Messages ordered by next-attempt time (then by arrival), as a binary min-heap. Entries are
// never updated in place: a rescheduled message gets a new entry and the stale one is skipped
// when it surfaces (the caller checks `at` against the message's own time).

export interface DueEntry<T> {
  readonly at: number;
  readonly seq: number;
  readonly item: T;
}

export class DueQueue<T> {
  private heap: DueEntry<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, item: T): void {
    const heap = this.heap;
    heap.push({ at, seq: this.seq++, item });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  peek(): DueEntry<T> | undefined {
    return this.heap[0];
  }

  pop(): DueEntry<T> | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && this.less(heap[l], heap[m])) m = l;
        if (r < heap.length && this.less(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  }

  private less(a: DueEntry<T>, b: DueEntry<T>): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
}
