import { describe, it, expect } from 'vitest'
import { WELCOME_TEXT_MAX, apiBaseURLProblem, runeCount } from './wecomSettings.js'

describe('apiBaseURLProblem', () => {
  it('accepts empty (the official API) and http(s) URLs ending with a slash', () => {
    expect(apiBaseURLProblem('')).toBe('')
    expect(apiBaseURLProblem('   ')).toBe('')
    expect(apiBaseURLProblem(undefined)).toBe('')
    expect(apiBaseURLProblem('https://qyapi.weixin.qq.com/cgi-bin/')).toBe('')
    expect(apiBaseURLProblem(' http://127.0.0.1:8081/cgi-bin/ ')).toBe('')
    expect(apiBaseURLProblem('http://127.0.0.1:8081/cgi-bin/?debug=1')).toBe('')
    expect(apiBaseURLProblem('http://sim.local/')).toBe('')
  })

  it('asks for the trailing slash', () => {
    expect(apiBaseURLProblem('http://127.0.0.1:8081/cgi-bin')).toBe('slash')
    expect(apiBaseURLProblem('http://127.0.0.1:8081')).toBe('slash')
  })

  it('rejects what is not an http(s) URL', () => {
    expect(apiBaseURLProblem('127.0.0.1:8081/cgi-bin/')).toBe('invalid')
    expect(apiBaseURLProblem('ftp://example.com/cgi-bin/')).toBe('invalid')
    expect(apiBaseURLProblem('not a url/')).toBe('invalid')
  })
})

describe('runeCount', () => {
  it('counts code points like the server', () => {
    expect(runeCount('欢迎')).toBe(2)
    expect(runeCount('hi 😀')).toBe(4)
    expect(runeCount('')).toBe(0)
    expect(runeCount(null)).toBe(0)
    expect(WELCOME_TEXT_MAX).toBe(4000)
  })
})
