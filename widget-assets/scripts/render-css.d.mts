/** Types of render-css.mjs, for the unit tests. */
export type CssValue = string | number | boolean | string[];
export const TEMPLATE_PATH: string;
export const SAMPLE_CONTEXT_PATH: string;
export function renderCss(template: string, context: Record<string, CssValue>): string;
export function renderSample(): string;
