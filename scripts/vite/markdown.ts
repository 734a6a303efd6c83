// A small Markdown → HTML renderer for the study report page: the subset a report uses (ATX
// headings, paragraphs, lists, tables, fenced code, block quotes, rules, images, links, code,
// emphasis); raw HTML lines pass through as GitHub shows them. Text is escaped; URLs with a
// script scheme are dropped. A library would do more, but the page needs no more than this.

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const safeUrl = (u: string) => (/^\s*(javascript|data|vbscript):/i.test(u) ? '#' : escapeHtml(u))

/** Inline Markdown of one block's text. */
export function renderInline(text: string): string {
  const codes: string[] = []
  // Code spans first, kept out of every other rule.
  let s = text.replace(/`([^`]+)`/g, (_, c: string) => `\u0000${codes.push(`<code>${escapeHtml(c)}</code>`) - 1}\u0000`)
  s = escapeHtml(s)
  s = s.replace(
    /!\[([^\]]*)\]\(([^)\s]+)(?:\s+&quot;([^&]*)&quot;)?\)/g,
    (_, alt: string, src: string, title?: string) => `<img src="${safeUrl(src)}" alt="${alt}"${title ? ` title="${title}"` : ''}>`,
  )
  s = s.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, label: string, href: string) => `<a href="${safeUrl(href)}">${label}</a>`)
  s = s
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^\w*])\*([^*\s][^*]*)\*(?!\w)/g, '$1<em>$2</em>')
    .replace(/(^|[^\w])_([^_\s][^_]*)_(?!\w)/g, '$1<em>$2</em>')
  return s.replace(/\u0000(\d+)\u0000/g, (_, i: string) => codes[Number(i)])
}

const cells = (row: string) =>
  row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => c.trim())
const isTableRule = (line: string) => /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(line)
const LIST = /^\s*([-*+]|\d+[.)])\s+(.*)$/

export function renderMarkdown(md: string): string {
  const lines = md.replace(/\r\n?/g, '\n').split('\n')
  const out: string[] = []
  let i = 0
  while (i < lines.length) {
    const line = lines[i]
    if (!line.trim()) {
      i++
      continue
    }
    const fence = line.match(/^\s*(```|~~~)\s*([\w-]*)/)
    if (fence) {
      const body: string[] = []
      for (i++; i < lines.length && !lines[i].trim().startsWith(fence[1]); i++) body.push(lines[i])
      i++
      out.push(`<pre><code${fence[2] ? ` class="language-${fence[2]}"` : ''}>${escapeHtml(body.join('\n'))}</code></pre>`)
      continue
    }
    const heading = line.match(/^(#{1,6})\s+(.*?)\s*#*\s*$/)
    if (heading) {
      const level = heading[1].length
      const id = heading[2]
        .toLowerCase()
        .replace(/[^\w\s-]/g, '')
        .trim()
        .replace(/\s+/g, '-')
      out.push(`<h${level} id="${id}">${renderInline(heading[2])}</h${level}>`)
      i++
      continue
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.push('<hr>')
      i++
      continue
    }
    if (line.includes('|') && i + 1 < lines.length && isTableRule(lines[i + 1])) {
      const head = cells(line)
      const align = cells(lines[i + 1]).map((c) => (c.endsWith(':') ? (c.startsWith(':') ? 'center' : 'right') : ''))
      const td = (tag: string, c: string, k: number) => `<${tag}${align[k] ? ` style="text-align:${align[k]}"` : ''}>${renderInline(c)}</${tag}>`
      const rows: string[] = []
      for (i += 2; i < lines.length && lines[i].includes('|') && lines[i].trim(); i++)
        rows.push(
          `<tr>${cells(lines[i])
            .map((c, k) => td('td', c, k))
            .join('')}</tr>`,
        )
      out.push(`<table><thead><tr>${head.map((c, k) => td('th', c, k)).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`)
      continue
    }
    if (/^\s*>/.test(line)) {
      const body: string[] = []
      for (; i < lines.length && /^\s*>/.test(lines[i]); i++) body.push(lines[i].replace(/^\s*>\s?/, ''))
      out.push(`<blockquote>${renderMarkdown(body.join('\n'))}</blockquote>`)
      continue
    }
    const item = line.match(LIST)
    if (item) {
      const ordered = /\d/.test(item[1])
      const items: string[] = []
      while (i < lines.length && lines[i].trim()) {
        const m = lines[i].match(LIST)
        if (m) items.push(m[2])
        else if (items.length) items[items.length - 1] += ` ${lines[i].trim()}` // a wrapped item
        i++
      }
      out.push(`<${ordered ? 'ol' : 'ul'}>${items.map((t) => `<li>${renderInline(t)}</li>`).join('')}</${ordered ? 'ol' : 'ul'}>`)
      continue
    }
    if (/^\s*<\/?[a-zA-Z]/.test(line)) {
      for (; i < lines.length && lines[i].trim(); i++) out.push(lines[i]) // raw HTML block, as written
      continue
    }
    const para: string[] = []
    for (; i < lines.length && lines[i].trim() && !/^(#{1,6}\s|\s*(```|~~~|>)|\s*([-*+]|\d+[.)])\s)/.test(lines[i]); i++) para.push(lines[i].trim())
    if (para.length === 0) para.push(lines[i++].trim()) // a line no rule took: plain text, never a stall
    out.push(`<p>${renderInline(para.join(' '))}</p>`)
  }
  return out.join('\n')
}
