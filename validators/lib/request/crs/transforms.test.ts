/** The CRS transformations as the rules rely on them (ModSecurity v2 reference). */
import { describe, expect, it } from 'vitest'
import { pipeline, TRANSFORMS, UNCHANGED } from './transforms.js'

const t = TRANSFORMS

describe('CRS transformations', () => {
  it('INJ-060 urlDecodeUni decodes repeatedly (triple encoding), %u escapes, and full-width forms', () => {
    expect(t.urlDecodeUni!('%25252e%25252e%25252f')).toBe('../')
    expect(t.urlDecodeUni!('a+b%20c')).toBe('a b c')
    expect(t.urlDecodeUni!('%u003cscript%u003e')).toBe('<script>')
    expect(t.urlDecodeUni!('%uff1cscript%uff1e')).toBe('<script>')
    expect(t.urlDecodeUni!('caf%C3%A9')).toBe('café')
    expect(t.urlDecodeUni!('100%')).toBe('100%')
    // Bounded: a fifth layer stays encoded.
    expect(t.urlDecodeUni!('%2525252525')).toBe('%25')
  })

  it('INJ-061 htmlEntityDecode, jsDecode and cssDecode undo their escapes', () => {
    expect(t.htmlEntityDecode!('&lt;a&gt; &#60;b&#x3e; &quot;&amp;')).toBe('<a> <b> "&')
    expect(t.htmlEntityDecode!('&#60script')).toBe('<script')
    expect(t.jsDecode!('\\u003cx\\x3e\\74\\n')).toBe('<x><\n')
    expect(t.jsDecode!('\\uff1c')).toBe('<')
    expect(t.cssDecode!('\\3c script\\3e')).toBe('<script>')
    expect(t.cssDecode!('ja\\vascript')).toBe('javascript')
  })

  it('INJ-062 cmdLine undoes shell and cmd.exe quoting and spacing', () => {
    expect(t.cmdLine!('w"h"o"am"i')).toBe('whoami')
    expect(t.cmdLine!("c'a't  /etc/passwd")).toBe('cat/etc/passwd')
    expect(t.cmdLine!('W^hoAmI,  x;y')).toBe('whoami x y')
    expect(t.cmdLine!('cmd   (x)')).toBe('cmd(x)')
  })

  it('INJ-063 comment and whitespace transformations', () => {
    expect(t.replaceComments!('union/**/select/*x')).toBe('union select ')
    expect(t.removeComments!('a/*b*/c<!--d-->e-- rest')).toBe('ace')
    expect(t.compressWhitespace!('a \t\n b')).toBe('a b')
    expect(t.removeWhitespace!('a \t\n b')).toBe('ab')
    expect(t.removeNulls!('a\u0000b')).toBe('ab')
    expect(t.lowercase!('SeLeCt')).toBe('select')
  })

  it('INJ-064 normalizePath and normalizePathWin resolve dot segments and doubled slashes', () => {
    expect(t.normalizePath!('/etc//passwd')).toBe('/etc/passwd')
    expect(t.normalizePath!('/etc/./passwd')).toBe('/etc/passwd')
    expect(t.normalizePath!('/a/b/../../etc/passwd')).toBe('/etc/passwd')
    expect(t.normalizePath!('../../etc/passwd')).toBe('../../etc/passwd')
    expect(t.normalizePathWin!('..\\..\\windows\\win.ini')).toBe('../../windows/win.ini')
  })

  it('INJ-065 utf8toUnicode then urlDecodeUni folds full-width look-alikes to ASCII', () => {
    const fold = pipeline(['utf8toUnicode', 'urlDecodeUni'])
    expect(typeof fold).toBe('function')
    expect((fold as (s: string) => string)('\uff1cscript\uff1e')).toBe('<script>')
    expect(t.utf8toUnicode!('é')).toBe('%u00e9')
  })

  it('INJ-066 base64Decode decodes a value that is base64 as a whole, and leaves other text', () => {
    expect(t.base64Decode!('X2YkTkRfRlVOQyQkXw==')).toBe('_f$ND_FUNC$$_')
    expect(t.base64Decode!('plain words here')).toBe('plain words here')
  })

  it('INJ-067 an unknown transformation is named, not ignored', () => {
    expect(pipeline(['urlDecodeUni', 'sqlHexDecode'])).toBe('sqlHexDecode')
  })

  it('INJ-068 every "unchanged" test is true only when the transformation leaves the text as it is', () => {
    const samples = [
      'plain text',
      'a%41b',
      'a+b',
      '&lt;x',
      '&amp',
      'a\\x41',
      '/a/./b',
      'a//b',
      '/*c*/',
      'a -- b',
      '#x',
      'é',
      'a\u0000b',
      'QUJDREVGR0g=',
      'ABCDEFGH',
      'x/y',
      'c:\\x\\..\\y',
    ]
    for (const [name, unchanged] of Object.entries(UNCHANGED)) {
      for (const s of samples) {
        if (unchanged(s)) expect(t[name]!(s), `${name} ${JSON.stringify(s)}`).toBe(s)
      }
    }
  })
})
