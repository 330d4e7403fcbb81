// Lists every *.html file under a folder, sorted, the way a user's build script would find pages.
import fs from 'node:fs';
import path from 'node:path';

export function htmlPages(root) {
  const pages = [];
  const visit = (dir) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.isFile() && e.name.toLowerCase().endsWith('.html')) pages.push(p);
    }
  };
  visit(root);
  return pages;
}

// The markup to add, as chatkit-inject writes it: {"head": "...", "body": "..."}.
export function readSnippets(file) {
  const s = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (typeof s.head !== 'string' || typeof s.body !== 'string') {
    throw new Error(`${file}: expected {"head": string, "body": string}`);
  }
  return s;
}
