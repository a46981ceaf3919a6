/**
 * The injection classes a route can ask for (`x-portcullis-scan`), and which Core Rule Set
 * files (by their number) and product rules (by their `portcullis-class/<class>` tag) feed
 * each. 943 (session fixation) is not kept: its rules need the `Referer` header of the same
 * request or only look at parameter names.
 */
export const INJECTION_CLASSES = [
  'sql',
  'xss',
  'command',
  'path',
  'rfi',
  'php',
  'nodejs',
  'java',
  'template',
  'protocol',
] as const
export type InjectionClass = (typeof INJECTION_CLASSES)[number]

/** CRS file number → class. */
export const CRS_FAMILIES: Readonly<Record<string, InjectionClass>> = {
  '921': 'protocol',
  '930': 'path',
  '931': 'rfi',
  '932': 'command',
  '933': 'php',
  '934': 'nodejs',
  '941': 'xss',
  '942': 'sql',
  '944': 'java',
}

/** The files read from the CRS directory, one per kept family. */
export const CRS_FILES = [
  'REQUEST-921-PROTOCOL-ATTACK.conf',
  'REQUEST-930-APPLICATION-ATTACK-LFI.conf',
  'REQUEST-931-APPLICATION-ATTACK-RFI.conf',
  'REQUEST-932-APPLICATION-ATTACK-RCE.conf',
  'REQUEST-933-APPLICATION-ATTACK-PHP.conf',
  'REQUEST-934-APPLICATION-ATTACK-NODEJS.conf',
  'REQUEST-941-APPLICATION-ATTACK-XSS.conf',
  'REQUEST-942-APPLICATION-ATTACK-SQLI.conf',
  'REQUEST-944-APPLICATION-ATTACK-JAVA.conf',
] as const

/** The name the product's own rules (portcullis-rules.ts) go by in the rule tables. */
export const PRODUCT_RULES_FILE = 'portcullis-rules'
