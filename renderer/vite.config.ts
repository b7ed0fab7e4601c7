// Vite build of the renderer into out/renderer/, with relative asset URLs so it also loads from file:// in Electron.
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  plugins: [vue()],
  build: {
    outDir: fileURLToPath(new URL('../out/renderer', import.meta.url)),
    emptyOutDir: true,
    // ECharts is bundled whole on purpose (see ChartPanel.vue); it is a local desktop app, not a web page.
    chunkSizeWarningLimit: 1600,
    // No inline <script> or modulepreload polyfill: the CSP allows scripts from 'self' only.
    modulePreload: { polyfill: false },
  },
});
