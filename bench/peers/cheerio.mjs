// The usual "proper" injector: parse each page with cheerio, append to <head> and <body>,
// write `$.html()` back.
//
//   node cheerio.mjs SNIPPETS.json BUILD_DIR
import fs from 'node:fs';
import * as cheerio from 'cheerio';
import { htmlPages, readSnippets } from './walk.mjs';

const [snippetFile, root] = process.argv.slice(2);
if (!snippetFile || !root) {
  console.error('usage: node cheerio.mjs SNIPPETS.json BUILD_DIR');
  process.exit(2);
}
const { head, body } = readSnippets(snippetFile);
let n = 0;
for (const page of htmlPages(root)) {
  const $ = cheerio.load(fs.readFileSync(page, 'utf8'));
  $('head').append(head);
  $('body').append(body);
  fs.writeFileSync(page, $.html());
  n += 1;
}
console.log(`cheerio: ${n} pages`);
