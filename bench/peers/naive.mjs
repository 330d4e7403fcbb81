// The naive injector: a string replace of the first `</head>` and `</body>` on every page.
// Fast, but wrong when the first `</body>` sits in a script string or a comment.
//
//   node naive.mjs SNIPPETS.json BUILD_DIR
import fs from 'node:fs';
import { htmlPages, readSnippets } from './walk.mjs';

const [snippetFile, root] = process.argv.slice(2);
if (!snippetFile || !root) {
  console.error('usage: node naive.mjs SNIPPETS.json BUILD_DIR');
  process.exit(2);
}
const { head, body } = readSnippets(snippetFile);
let n = 0;
for (const page of htmlPages(root)) {
  const html = fs.readFileSync(page, 'utf8');
  const out = html.replace('</head>', head + '</head>').replace('</body>', body + '</body>');
  fs.writeFileSync(page, out);
  n += 1;
}
console.log(`naive: ${n} pages`);
