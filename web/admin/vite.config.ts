import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

// Element Plus components and their styles are imported on demand per page, so the login page
// loads only what it uses; every other page is its own chunk (see src/router).
export default defineConfig({
  plugins: [
    vue(),
    Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: false }),
  ],
  server: {
    proxy: { '/api': 'http://127.0.0.1:8081' },
  },
  build: {
    target: 'es2020',
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        // Element Plus's on-demand style chunks would all be called "css-…": call them "ui-…".
        chunkFileNames: (chunk) => `assets/${chunk.name === 'css' ? 'ui' : '[name]'}-[hash].js`,
        manualChunks(id: string) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender') || id.endsWith('src/lib/charts.ts')) return 'echarts'
          if (/node_modules\/(@vue|vue|vue-router|pinia|@intlify|vue-i18n)\//.test(id)) return 'vue'
          return undefined
        },
      },
    },
  },
})
