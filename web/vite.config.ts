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
    rollupOptions: {
      input: { dashboard: here('index.html'), tank: here('tank.html') },
      // The viewer takes only constants from src/sim (the genome's ranges); without this the
      // poker evaluator's tables, which the sim's index also reaches, would ride along (400 kB).
      treeshake: {
        moduleSideEffects: (id: string) => !id.includes('/src/sim/') && !id.includes('/node_modules/phe/'),
      },
    },
  },
  logLevel: 'warn',
});
