// Prints the build's JavaScript sizes (raw and gzip) and what the login page loads first.
// Fails when the login page's first load exceeds the budget (500 KB of compressed JavaScript).
import { readFileSync, readdirSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { join } from 'node:path'

const dist = new URL('../dist/', import.meta.url).pathname
const BUDGET = 500 * 1024
const assets = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js'))
const size = (file) => {
  const data = readFileSync(join(dist, 'assets', file))
  return { raw: data.length, gzip: gzipSync(data, { level: 9 }).length }
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`

// What the login page loads: the entry script and its modulepreloads, plus the login chunk and
// the chunks it imports statically (followed through the built files' import statements).
const html = readFileSync(join(dist, 'index.html'), 'utf8')
const first = new Set([...html.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]))
const login = assets.find((f) => f.startsWith('LoginView-'))
if (login) first.add(login)
const queue = [...first]
while (queue.length) {
  const file = queue.pop()
  const code = readFileSync(join(dist, 'assets', file), 'utf8')
  for (const m of code.matchAll(/(?:^|[;\n}])\s*import\s*(?:[^'"()]*?from\s*)?["']\.\/([^"']+\.js)["']/g)) {
    if (!first.has(m[1])) {
      first.add(m[1])
      queue.push(m[1])
    }
  }
}

const rows = assets.map((f) => ({ f, ...size(f) })).sort((a, b) => b.gzip - a.gzip)
console.log('admin app build (JavaScript):')
for (const r of rows.slice(0, 15)) console.log(`  ${r.f.padEnd(44)} ${kb(r.raw).padStart(10)}  gzip ${kb(r.gzip).padStart(9)}${first.has(r.f) ? '  (login)' : ''}`)
const total = rows.reduce((n, r) => n + r.gzip, 0)
const loginGzip = rows.filter((r) => first.has(r.f)).reduce((n, r) => n + r.gzip, 0)
console.log(`  ${rows.length} files, all JavaScript gzip ${kb(total)}`)
console.log(`  login page first load: ${first.size} files, gzip ${kb(loginGzip)} (budget ${kb(BUDGET)})`)
if (loginGzip > BUDGET) {
  console.error('login page JavaScript is over budget')
  process.exit(1)
}
