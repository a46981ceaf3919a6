/** Answers kept waiting for a publish (`OnceMemory.maxPending`). */
export const MAX_PENDING_ANSWERS = 1_024
/** Delivered request ids remembered (`OnceMemory.maxDelivered`). */
export const MAX_DELIVERED_IDS = 200_000
