/** Generators the validators' generated-input tests share (fast-check). */
import { headers as natsHeaders } from '@nats-io/nats-core'
import fc from 'fast-check'
import type { BusMessage } from '../../core/index.js'

/**
 * Whatever could arrive on a bus: `subject` or any other, headers with any names and values
 * NATS can carry (or none), and any bytes.
 */
export function rawBusMessage(subject: string): fc.Arbitrary<BusMessage> {
  return fc
    .record({
      subject: fc.oneof(fc.constant(subject), fc.string({ maxLength: 40 })),
      headers: fc.option(
        fc.array(
          fc.tuple(
            fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/),
            fc.string({ maxLength: 40 }).filter((v) => !/[\r\n]/.test(v)),
          ),
          { maxLength: 8 },
        ),
      ),
      data: fc.uint8Array({ maxLength: 512 }),
    })
    .map(({ subject, headers, data }) => {
      if (headers === null) return { subject, headers: undefined, data }
      const h = natsHeaders()
      for (const [k, v] of headers) h.append(k, v)
      return { subject, headers: h, data }
    })
}
