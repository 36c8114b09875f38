import { defineConfig } from 'vite';

/**
 * The widget is a static bundle served next to the API (same origin, so the anonymous-owner cookie
 * flows). `npm run widget:build` writes out/chat-widget/; the browser test builds it the same way.
 * During development, `vite` proxies /api to `npm run dev` (POLYFOLIO_API, default port 3000).
 */
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  build: {
    outDir: '../../out/chat-widget',
    emptyOutDir: true,
    rollupOptions: {
      // swr (under @ai-sdk/react) marks itself 'use client'; that means nothing in a plain bundle.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  server: { proxy: { '/api': process.env.POLYFOLIO_API ?? 'http://127.0.0.1:3000' } },
});
