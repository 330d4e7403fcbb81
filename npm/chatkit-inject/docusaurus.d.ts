// Types for `chatkit-inject/docusaurus`, so a docusaurus.config.ts can check its options.
export interface Options {
  /** Profile from chatkit.toml (default: CHATKIT_INJECT_ENV, else the CLI's `dev`). */
  env?: string;
  /** Config file, relative to the site (default: chatkit.toml in the site's root). */
  config?: string;
  /** Print only errors. */
  quiet?: boolean;
  /** More CLI arguments, e.g. ["--jobs", "2"]. */
  args?: string[];
}

interface Plugin {
  name: string;
  postBuild(props: { outDir: string }): Promise<void>;
}

declare function chatkitInjectPlugin(context: { siteDir: string }, options?: Options): Plugin;
export default chatkitInjectPlugin;
