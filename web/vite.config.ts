/**
 * @module
 * Builds the dashboard (`index.html`) and the tank viewer (`tank.html`) into `web/dist`, which
 * the gateway serves at `/`. The viewer imports the project's wire decoder from `src/tank/wire`.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    rollupOptions: { input: { dashboard: here('index.html'), tank: here('tank.html') } },
  },
  logLevel: 'warn',
});
