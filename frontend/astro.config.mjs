// @ts-check
import { defineConfig } from "astro/config";
import preact from "@astrojs/preact";

// A static site: `vaultra serve` serves dist/ at / on the same origin as the API (/api/v1).
export default defineConfig({
  output: "static",
  // Elsewhere only to build a second copy side by side (`VAULTRA_SITE_OUT=… npm run build`,
  // then `VAULTRA_SITE_DIR` to serve or test it); `make site` builds dist/.
  outDir: /** @type {any} */ (globalThis).process.env.VAULTRA_SITE_OUT || "./dist",
  trailingSlash: "ignore",
  build: {
    format: "directory",
    // Stylesheets as files, never inline <style>: the site works under `style-src 'self'`.
    inlineStylesheets: "never",
  },
  integrations: [preact()],
  // Astro hashes its own inline scripts and styles into a <meta> Content-Security-Policy.
  security: { csp: true },
  // No Markdown here; Shiki's inline styles would not pass the CSP.
  markdown: { syntaxHighlight: false },
  // No telemetry-like extras, no prefetching of other origins, nothing loaded from a CDN.
  devToolbar: { enabled: false },
  server: { host: "127.0.0.1" },
  vite: {
    server: {
      // `npm run dev` talks to a local `vaultra serve` on the same origin through this proxy.
      proxy: { "/api": { target: "http://127.0.0.1:8000", changeOrigin: false } },
    },
  },
});
