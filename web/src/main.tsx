// Chancery Web: loads the server's configuration and shows the app.
import { render } from "preact";
import { loadConfig } from "./config";
import "./styles.css";
import { App } from "./ui/App";

const root = document.getElementById("app");
if (root) {
    loadConfig().then((config) => render(<App config={config} />, root));
}
