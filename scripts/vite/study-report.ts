// The study report (docs/study/README.md and its charts) as a page of the app at /study/: the
// dev server renders it on every request (edits show on reload), the production build writes
// study/index.html and copies the report's files beside it, so the page's link works in both.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { extname, join, resolve } from 'node:path'
import type { Plugin } from 'vite'
import { renderInline, renderMarkdown } from './markdown.ts'

const TYPES: Record<string, string> = {
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.md': 'text/markdown; charset=utf-8',
  '.json': 'application/json',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
}

/** The report folder's own files (not its subfolders): what the page may reference. */
function reportFiles(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).filter((f) => !f.startsWith('.') && statSync(join(dir, f)).isFile())
}

// The app's logo as the tab icon (inline: otherwise the browser asks the server for /favicon.ico).
const ICON = `data:image/svg+xml,${encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M2 20 L8 6 L12 14 L16 9 L22 20" fill="none" stroke="#3461c1" stroke-width="2.6" stroke-linejoin="round"/></svg>')}`

const STYLE = `
:root { color-scheme: light dark; font: 15px/1.55 Inter, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }
body { margin: 0 auto; max-width: 920px; padding: 16px 24px 48px; }
nav { font-size: 13px; margin-bottom: 12px; }
a { color: #3461c1; }
img { max-width: 100%; height: auto; background: #fff; border-radius: 6px; }
table { border-collapse: collapse; font-size: 13px; margin: 12px 0; display: block; overflow-x: auto; }
th, td { border: 1px solid #c5ccd599; padding: 4px 8px; font-variant-numeric: tabular-nums; }
pre { overflow-x: auto; padding: 10px; border-radius: 6px; background: #8881; }
code { font: 13px ui-monospace, Menlo, Consolas, monospace; }
blockquote { margin: 0; padding-left: 12px; border-left: 3px solid #8886; }
`

/** The whole page: the rendered report, or a note that the build holds none. */
export function studyPage(dir: string): string {
  const file = join(dir, 'README.md')
  const md = existsSync(file) ? readFileSync(file, 'utf8') : null
  const title = md?.match(/^#\s+(.+)$/m)?.[1] ?? 'Study report'
  const body = md === null ? '<h1>Study report</h1>\n<p>There is no study report in this build (docs/study/README.md).</p>' : renderMarkdown(md)
  return `<!doctype html>
<html lang="en">
<head><meta charset="UTF-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${renderInline(title).replace(/<[^>]+>/g, '')} — advtune</title><link rel="icon" href="${ICON}"><style>${STYLE}</style></head>
<body>
<nav><a href="../">← advtune</a></nav>
<main data-report="${md === null ? 'missing' : 'ready'}">
${body}
</main>
</body>
</html>
`
}

export function studyReport(folder = 'docs/study', route = 'study'): Plugin {
  let dir = ''
  return {
    name: 'advtune:study-report',
    configResolved(config) {
      dir = resolve(config.root, folder)
    },
    configureServer(server) {
      const prefix = `${server.config.base}${route}`
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0]
        // Without the slash the report's relative chart links would point at the app's folder.
        if (url === prefix) return void res.writeHead(302, { Location: `${prefix}/` }).end()
        if (!url.startsWith(`${prefix}/`)) return next()
        const name = decodeURIComponent(url.slice(prefix.length + 1))
        if (name === '' || name === 'index.html') return void res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(studyPage(dir))
        if (!reportFiles(dir).includes(name)) return next()
        res.writeHead(200, { 'Content-Type': TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream' }).end(readFileSync(join(dir, name)))
      })
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: `${route}/index.html`, source: studyPage(dir) })
      for (const f of reportFiles(dir)) this.emitFile({ type: 'asset', fileName: `${route}/${f}`, source: readFileSync(join(dir, f)) })
    },
  }
}
