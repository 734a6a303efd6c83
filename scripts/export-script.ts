// `npm run export-script -- run.history.json out.py`: the PyTorch training script of a run, from
// its history JSON (the page's JSON download), made by the same code as the page's download.

import { readFileSync, writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import { scriptFromHistory } from '../src/store/scriptExport'
import { APP_VERSION } from '../src/store/exports'

const [input, output] = process.argv.slice(2)
if (!input || input === '--help' || input === '-h') {
  console.error('usage: npm run export-script -- RUN.history.json [OUT.py]\n  writes the run as a PyTorch training script (default name: advtune_<run>.py)')
  process.exit(input ? 0 : 2)
}
try {
  const script = scriptFromHistory(readFileSync(input, 'utf8'), basename(input), APP_VERSION)
  const out = output ?? script.fileName
  writeFileSync(out, script.text, { mode: 0o755 })
  console.log(`wrote ${out}: python3 ${basename(out)} --help`)
} catch (e) {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`)
  process.exit(2)
}
