// The probe has nothing of its own to serve: its tests use the bindings directly.
export default {
  fetch: () => new Response(null, { status: 404 }),
} satisfies ExportedHandler
