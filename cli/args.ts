/** `--name value` flags of CLI commands. */
export function flag(args: string[], name: string, fallback?: string): string | undefined {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback
}

export function configFile(args: string[]): string {
  return flag(args, 'config', 'portcullis.config.json')!
}
