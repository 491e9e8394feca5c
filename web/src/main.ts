import { createApp } from "vue";
// Element Plus on demand (vite.config.ts): templates' <el-*> components bring their own CSS;
// what script code calls (ElMessage, ElMessageBox) needs its CSS here, and the base styles.
import "element-plus/theme-chalk/base.css";
import "element-plus/es/components/message/style/css";
import "element-plus/es/components/message-box/style/css";
import "./style.css";
import App from "./App.vue";
import { i18n } from "./i18n";
import { registerIcons } from "./icons";
import { router } from "./router";

const app = createApp(App);
registerIcons(app);
app.use(i18n).use(router).mount("#app");
