/**
 * The reader's current page, sent with each ChatKit request as the
 * `X-ChatKit-Page` header. Read at request time: Docusaurus navigates
 * client-side, so the page can change while the panel stays mounted.
 */

export const PAGE_HEADER = "X-ChatKit-Page";

export interface PageContext {
  path: string;
  title: string;
  lang: string;
}

export function readPageContext(doc: Document = document): PageContext {
  return {
    path: doc.location ? doc.location.pathname : "/",
    title: doc.title,
    lang: doc.documentElement.lang,
  };
}

/**
 * JSON with every character outside printable ASCII written as `\uXXXX`,
 * so the value is a valid, lossless HTTP header value.
 */
export function encodePageContext(context: PageContext): string {
  return JSON.stringify({ path: context.path, title: context.title, lang: context.lang }).replace(
    /[\u007f-\uffff]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}
