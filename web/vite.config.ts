import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";
import Components from "unplugin-vue-components/vite";
import { ElementPlusResolver } from "unplugin-vue-components/resolvers";

// The console is served by the Ducha service itself at "/": every asset is local (no CDN).
// Element Plus is imported on demand: each component (and its CSS) where a template uses it,
// so a page loads only the components it renders (docs/console.md, "How it is built and served").
export default defineConfig({
  plugins: [
    vue(),
    Components({
      dirs: [], // our own components are imported explicitly
      dts: false,
      resolvers: [ElementPlusResolver({ importStyle: "css", directives: true })],
    }),
  ],
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    assetsInlineLimit: 0,
    rollupOptions: {
      output: {
        // Shared chunks of Element Plus components are named after their style module ("css"):
        // call them what they are.
        chunkFileNames: (chunk) => `assets/${chunk.name === "css" ? "element-plus" : "[name]"}-[hash].js`,
      },
    },
  },
  server: {
    // `npm run dev` beside `make run`: the API answers from the service.
    proxy: { "/api": "http://127.0.0.1:8000" },
  },
});
