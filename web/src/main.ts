import { createApp } from "vue";
import ElementPlus from "element-plus";
import * as Icons from "@element-plus/icons-vue";
import "element-plus/dist/index.css";
import "./style.css";
import App from "./App.vue";
import { i18n } from "./i18n";
import { router } from "./router";

const app = createApp(App);
for (const [name, component] of Object.entries(Icons)) app.component(name, component);
app.use(i18n).use(router).use(ElementPlus).mount("#app");
