import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

// The console is served by the Ducha service itself at "/": every asset is local (no CDN).
export default defineConfig({
  plugins: [vue()],
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    assetsInlineLimit: 0,
  },
  server: {
    // `npm run dev` beside `make run`: the API answers from the service.
    proxy: { "/api": "http://127.0.0.1:8000" },
  },
});
