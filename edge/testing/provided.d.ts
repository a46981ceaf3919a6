// Values the edge tests' global setup (Node) hands to the tests (workerd).
declare module 'vitest' {
  export interface ProvidedContext {
    blackholeUrl: string
    trapUrl: string
    trapHitsUrl: string
  }
}
export {}
