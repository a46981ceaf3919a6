/**
 * A fixed-size FIFO on a ring buffer: pushing into a full queue pushes the oldest item out.
 * Every operation is O(1) per item and allocates nothing after construction.
 */
export class BoundedQueue<T> {
  private readonly items: (T | undefined)[]
  private head = 0
  private size = 0

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer')
    this.items = new Array<T | undefined>(capacity)
  }

  get length(): number {
    return this.size
  }

  /** Adds at the back; returns how many items were pushed out of the front (0 or 1). */
  push(item: T): number {
    if (this.size === this.capacity) {
      this.items[(this.head + this.size) % this.capacity] = item
      this.head = (this.head + 1) % this.capacity
      return 1
    }
    this.items[(this.head + this.size) % this.capacity] = item
    this.size++
    return 0
  }

  shift(): T | undefined {
    if (this.size === 0) return undefined
    const item = this.items[this.head]
    this.items[this.head] = undefined
    this.head = (this.head + 1) % this.capacity
    this.size--
    return item
  }

  /**
   * Puts items back at the front, in their order, ahead of everything queued (a retry). They
   * are the oldest, so when there is no room it is they that go: returns how many did not fit.
   */
  unshiftAll(items: readonly T[]): number {
    const room = this.capacity - this.size
    const kept = items.length > room ? items.slice(items.length - room) : items
    for (let i = kept.length - 1; i >= 0; i--) {
      this.head = (this.head - 1 + this.capacity) % this.capacity
      this.items[this.head] = kept[i]
      this.size++
    }
    return items.length - kept.length
  }

  /** Empties the queue; returns how many items it held. */
  clear(): number {
    const n = this.size
    this.items.fill(undefined)
    this.head = 0
    this.size = 0
    return n
  }
}
