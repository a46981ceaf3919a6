export { loadOpenApi, type LoadedOpenApi } from './load.js'
export { OpenApiError, MAX_FILES, MAX_FILE_BYTES, DOCUMENT_EXTENSIONS } from './refs.js'
export { readSource, SourceError, shownPath, MAX_VALUES } from './source.js'
