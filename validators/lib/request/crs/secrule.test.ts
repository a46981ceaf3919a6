/** The SecRule reader on the syntax the Core Rule Set uses. */
import { describe, expect, it } from 'vitest'
import { actions, directives, parseSecRules, words } from './secrule.js'

const FILE = String.raw`
# a comment
SecRule TX:EXECUTING_PARANOIA_LEVEL "@lt 2" "id:942013,phase:1,pass,nolog,skipAfter:END"
SecRule REQUEST_COOKIES|!REQUEST_COOKIES:/__utm/|ARGS_NAMES|ARGS "@rx (?i)a\"b[\\\\'\"]c" \
    "id:942999,\
    phase:2,\
    block,\
    t:none,t:urlDecodeUni,t:lowercase,\
    msg:'A rule, with a comma',\
    tag:'paranoia-level/2',\
    severity:'WARNING',\
    setvar:'tx.anomaly_score_pl2=+%{tx.warning_anomaly_score}',\
    chain"
    SecRule MATCHED_VARS "@pm one two" "t:none,t:removeWhitespace"
SecRule ARGS "@detectSQLi" "id:942998,phase:2,block,t:none,t:utf8toUnicode"
`

describe('SecRule reader', () => {
  it('INJ-080 joins continued lines, splits quoted words Apache style, and reads actions', () => {
    expect(directives('a \\\n b\n# c\n\nd')).toEqual(['a  b', 'd'])
    expect(words(String.raw`SecRule ARGS "@rx a\"b c" "id:1"`)).toEqual([
      'SecRule',
      'ARGS',
      '@rx a"b c',
      'id:1',
    ])
    expect(actions("id:1,msg:'a, b',t:none,chain")).toEqual([
      ['id', '1'],
      ['msg', 'a, b'],
      ['t', 'none'],
      ['chain', ''],
    ])
  })

  it('INJ-081 reads id, targets, operator, transformations, paranoia, severity and chains', () => {
    const [rule, detect] = parseSecRules(FILE, 'REQUEST-942-X.conf')
    expect(rule).toMatchObject({
      id: 942999,
      file: 'REQUEST-942-X.conf',
      targets: ['REQUEST_COOKIES', 'ARGS_NAMES', 'ARGS'],
      operator: 'rx',
      argument: String.raw`(?i)a"b[\\\\'"]c`,
      transforms: ['urlDecodeUni', 'lowercase'],
      paranoia: 2,
      severity: 'WARNING',
      score: 3,
      msg: 'A rule, with a comma',
    })
    expect(rule!.chain).toEqual([
      {
        targets: ['MATCHED_VARS'],
        operator: 'pm',
        argument: 'one two',
        negated: false,
        transforms: ['removeWhitespace'],
      },
    ])
    expect(detect).toMatchObject({ id: 942998, operator: 'detectSQLi', paranoia: 2, score: 5 })
  })
})
