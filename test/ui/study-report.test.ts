// The study report page (/study/): the Markdown a report uses renders to the HTML a reader
// expects, text stays text, and a build without a report says so instead of failing.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { renderInline, renderMarkdown } from '../../scripts/vite/markdown'
import { studyPage } from '../../scripts/vite/study-report'

describe('study report markdown', () => {
  it('renders headings, paragraphs, lists, tables, code, quotes, images and links', () => {
    const md = [
      '# Fine-tuning study',
      '',
      'Robust accuracy *rises* with **slow start**; see [the data](results.csv).',
      'A wrapped line.',
      '',
      '![Robust accuracy by schedule](robust.svg "PGD-10")',
      '',
      '- one',
      '- two `x<y`',
      '',
      '1. first',
      '2. second',
      '',
      '| schedule | robust % |',
      '|---|---:|',
      '| cosine | 41.2 |',
      '',
      '```sh',
      'npm run study',
      '```',
      '',
      '> a note',
      '',
      '---',
    ].join('\n')
    expect(renderMarkdown(md).split('\n')).toEqual([
      '<h1 id="fine-tuning-study">Fine-tuning study</h1>',
      '<p>Robust accuracy <em>rises</em> with <strong>slow start</strong>; see <a href="results.csv">the data</a>. A wrapped line.</p>',
      '<p><img src="robust.svg" alt="Robust accuracy by schedule" title="PGD-10"></p>',
      '<ul><li>one</li><li>two <code>x&lt;y</code></li></ul>',
      '<ol><li>first</li><li>second</li></ol>',
      '<table><thead><tr><th>schedule</th><th style="text-align:right">robust %</th></tr></thead><tbody><tr><td>cosine</td><td style="text-align:right">41.2</td></tr></tbody></table>',
      '<pre><code class="language-sh">npm run study</code></pre>',
      '<blockquote><p>a note</p></blockquote>',
      '<hr>',
    ])
  })

  it('escapes text, keeps identifiers with underscores, drops script URLs', () => {
    expect(renderInline('<script>alert(1)</script> & ε_max')).toBe('&lt;script&gt;alert(1)&lt;/script&gt; &amp; ε_max')
    expect(renderInline('[x](javascript:void%200)')).toBe('<a href="#">x</a>')
  })
})

describe('study report page', () => {
  it('wraps the rendered report, titled after its first heading, with a way back to the app', () => {
    const dir = mkdtempSync(join(tmpdir(), 'advtune-study-'))
    try {
      writeFileSync(join(dir, 'README.md'), '# Schedules compared\n\n![chart](a.svg)\n')
      const html = studyPage(dir)
      expect(html).toContain('<title>Schedules compared — advtune</title>')
      expect(html).toContain('data-report="ready"')
      expect(html).toContain('<img src="a.svg" alt="chart">')
      expect(html).toContain('<a href="../">← advtune</a>')
      expect(studyPage(join(dir, 'absent'))).toContain('data-report="missing"')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
