// Verified downloads against a real local HTTP server: a good body lands in place; a wrong hash,
// a body cut short, an HTTP error or a refused connection leave nothing behind.

import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { downloadBytes, downloadToFile } from '../../../scripts/assets/download'
import { silent } from '../../../scripts/assets/errors'
import { listFiles, removeTempDirs, tempDir } from '../helpers'

const body = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 131 + 7) & 255)
const md5 = createHash('md5').update(body).digest('hex')
let server: Server
let base: string

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/good') {
      res.writeHead(200, { 'content-length': body.length })
      res.end(body)
    } else if (req.url === '/cut') {
      // Announces the whole body, sends a third of it, then drops the connection.
      res.writeHead(200, { 'content-length': body.length })
      res.write(body.subarray(0, 100_000), () => res.destroy())
    } else {
      res.writeHead(404)
      res.end('no such file')
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise((r) => server.close(r))
  removeTempDirs()
})

describe('downloadToFile', () => {
  it('puts a body with the expected size and hash in place', async () => {
    const dir = tempDir('dl')
    await downloadToFile(`${base}/good`, join(dir, 'f.bin'), { algo: 'md5', hex: md5, bytes: body.length }, silent)
    expect(Buffer.compare(readFileSync(join(dir, 'f.bin')), body)).toBe(0)
    expect(listFiles(dir)).toEqual(['f.bin'])
  })

  it('refuses a body with another hash and leaves nothing', async () => {
    const dir = tempDir('dl')
    const run = downloadToFile(`${base}/good`, join(dir, 'f.bin'), { algo: 'md5', hex: '0'.repeat(32) }, silent)
    await expect(run).rejects.toThrow(`has md5 ${md5}, expected ${'0'.repeat(32)}`)
    expect(listFiles(dir)).toEqual([])
  })

  it('refuses a body cut short and leaves nothing', async () => {
    const dir = tempDir('dl')
    const run = downloadToFile(`${base}/cut`, join(dir, 'f.bin'), { algo: 'md5', hex: md5, bytes: body.length }, silent)
    await expect(run).rejects.toThrow(/broke off|gave 100000 bytes, expected 300000/)
    expect(listFiles(dir)).toEqual([])
  })

  it('reports an HTTP error and a refused connection', async () => {
    const dir = tempDir('dl')
    await expect(downloadToFile(`${base}/missing`, join(dir, 'f.bin'), { algo: 'md5', hex: md5 }, silent)).rejects.toThrow(/HTTP 404/)
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/x`
    await new Promise((r) => closed.close(r)) // nothing listens there any more
    await expect(downloadToFile(url, join(dir, 'f.bin'), { algo: 'md5', hex: md5 }, silent)).rejects.toThrow(`could not download ${url}: ECONNREFUSED`)
    expect(listFiles(dir)).toEqual([])
  })
})

describe('downloadBytes', () => {
  it('returns a matching body and refuses a wrong or short one', async () => {
    const sha = createHash('sha256').update(body).digest('hex')
    expect(Buffer.compare(await downloadBytes(`${base}/good`, { algo: 'sha256', hex: sha, bytes: body.length }), body)).toBe(0)
    await expect(downloadBytes(`${base}/good`, { algo: 'sha256', hex: 'f'.repeat(64) })).rejects.toThrow(/has sha256/)
    await expect(downloadBytes(`${base}/cut`, { algo: 'sha256', hex: sha, bytes: body.length })).rejects.toThrow(/broke off|gave 100000 bytes/)
  })
})
